from rest_framework import permissions, viewsets

from .models import {{ cookiecutter.__resource_class }}
from .pagination import NewestFirstPagination
from .permissions import IsOwnerOrReadOnly
from .serializers import {{ cookiecutter.__resource_class }}Serializer


class {{ cookiecutter.__resource_class }}ViewSet(viewsets.ModelViewSet):
    """Anyone signed in can read {{ cookiecutter.__plural_label }}; only the owner can change one."""

    # Each owner comes in the same query as the rows (select_related), and only the username
    # the API shows: a whole user per row (password hash, dates, flags) made the list page do
    # a tenth more Python calls.
    queryset = {{ cookiecutter.__resource_class }}.objects.select_related("owner").only(
        *(field.name for field in {{ cookiecutter.__resource_class }}._meta.concrete_fields),
        "owner__username",
    )
    serializer_class = {{ cookiecutter.__resource_class }}Serializer
    permission_classes = [permissions.IsAuthenticated, IsOwnerOrReadOnly]
    pagination_class = NewestFirstPagination

    def perform_create(self, serializer):
        serializer.save(owner=self.request.user)
