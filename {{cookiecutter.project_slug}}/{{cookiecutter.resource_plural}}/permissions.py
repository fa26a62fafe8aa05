from rest_framework import permissions


class IsOwnerOrReadOnly(permissions.BasePermission):
    """Anyone allowed in may read an object; only its owner may change or delete it."""

    def has_object_permission(self, request, view, obj):
        return request.method in permissions.SAFE_METHODS or obj.owner_id == request.user.id
