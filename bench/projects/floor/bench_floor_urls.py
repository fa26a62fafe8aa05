"""A DRF view behind the project's middleware and JWT check (which reads the user row), that
then does no work at all: the speed no view of the project can pass."""

from config.urls import urlpatterns as project_urls
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView


class Floor(APIView):
    def get(self, request):
        return Response([])


urlpatterns = [path("bench/floor/", Floor.as_view()), *project_urls]
