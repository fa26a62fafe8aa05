from rest_framework import permissions, viewsets

from .models import {{ cookiecutter.__resource_class }}
from .pagination import NewestFirstPagination
from .permissions import IsOwnerOrReadOnly
from .serializers import {{ cookiecutter.__resource_class }}Serializer


class {{ cookiecutter.__resource_class }}ViewSet(viewsets.ModelViewSet):
    """Anyone signed in can read {{ cookiecutter.__plural_label }}; only the owner can change one."""

    # select_related fetches each owner in the same query as the rows, not once per row.
    queryset = {{ cookiecutter.__resource_class }}.objects.select_related("owner")
    serializer_class = {{ cookiecutter.__resource_class }}Serializer
    permission_classes = [permissions.IsAuthenticated, IsOwnerOrReadOnly]
    pagination_class = NewestFirstPagination

    def perform_create(self, serializer):
        serializer.save(owner=self.request.user)
