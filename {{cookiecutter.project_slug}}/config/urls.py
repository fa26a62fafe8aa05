from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts import views as account_views

from .health import healthz

# The admin's pages carry the project's name, the API docs' title, not "Django administration".
admin.site.site_header = admin.site.site_title = settings.SPECTACULAR_SETTINGS["TITLE"]

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="api-docs"), name="home"),
    path("api/token/", account_views.LoginView.as_view(), name="token-obtain"),
    path("api/token/refresh/", account_views.RefreshView.as_view(), name="token-refresh"),
    path("api/token/verify/", account_views.VerifyView.as_view(), name="token-verify"),
    path("api/token/blacklist/", account_views.BlacklistView.as_view(), name="token-blacklist"),
    path("api/register/", account_views.SignUpView.as_view(), name="register"),
    path("api/me/", account_views.MeView.as_view(), name="me"),
    path(
        "api/password/change/", account_views.PasswordChangeView.as_view(), name="password-change"
    ),
    path("api/v1/", include("{{ cookiecutter.resource_plural }}.urls")),
    path("api-auth/", include("rest_framework.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
    path("healthz/", healthz, name="healthz"),
]

# Errors outside the API views are JSON too: a URL that matches no route, a request Django
# refuses (e.g. an unknown Host header), a crash.
handler400 = "config.exceptions.bad_request"
handler403 = "config.exceptions.permission_denied"
handler404 = "config.exceptions.not_found"
handler500 = "config.exceptions.server_error"
