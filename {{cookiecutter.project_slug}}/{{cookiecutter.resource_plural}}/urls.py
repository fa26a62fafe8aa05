from rest_framework.routers import SimpleRouter

from .views import {{ cookiecutter.__resource_class }}ViewSet

router = SimpleRouter()
router.register("{{ cookiecutter.__plural_url }}", {{ cookiecutter.__resource_class }}ViewSet)

urlpatterns = router.urls
