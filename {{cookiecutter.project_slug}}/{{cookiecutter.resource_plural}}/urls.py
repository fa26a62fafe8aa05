from rest_framework.routers import SimpleRouter

from .views import {{ cookiecutter.__resource_class }}ViewSet

router = SimpleRouter()
router.register("{{ cookiecutter.resource_plural }}", {{ cookiecutter.__resource_class }}ViewSet)

urlpatterns = router.urls
