"""The regression catalogue: small, plausible edits of a fresh bake that its own suite must
catch (tooling/regressions.py applies them; tests/template/test_regression_catalogue.py runs
them). Each is what a student "tidying up" could write, named by the rule it breaks.

Paths are those of a project rendered with the default resource, `thing`; `run_first` names
the rendered test module that catches an entry, which its suite runs first. An entry's `old`
text must occur once in its file: when the project changes, the entry fails until it is
updated, instead of silently testing nothing.
"""

from .regressions import Regression

SETTINGS = "config/settings.py"
TOKENS = "accounts/tokens.py"
VIEWS = "accounts/views.py"

CATALOGUE = [
    # --- Defaults that ship: .env sets most of these, so only a test reading them without it
    # (or CI, which has no .env) sees a changed default.
    Regression(
        "DEBUG is off unless asked for",
        SETTINGS,
        'DEBUG = env.bool("DJANGO_DEBUG", default=False)',
        'DEBUG = env.bool("DJANGO_DEBUG", default=True)',
        run_first="tests/test_config.py",
    ),
    Regression(
        "the default hosts are this machine's only",
        SETTINGS,
        'default=["localhost", "127.0.0.1", "[::1]"])',
        'default=["*"])',
        run_first="tests/test_config.py",
    ),
    Regression(
        "the token endpoint's shipped throttle rate",
        SETTINGS,
        'env("DJANGO_TOKEN_THROTTLE_RATE", default="20/minute")',
        'env("DJANGO_TOKEN_THROTTLE_RATE", default="2000/minute")',
        run_first="tests/test_config.py",
    ),
    Regression(
        "the sign-up's shipped throttle rate",
        SETTINGS,
        'env("DJANGO_REGISTER_THROTTLE_RATE", default="10/hour")',
        'env("DJANGO_REGISTER_THROTTLE_RATE", default="1000/hour")',
        run_first="tests/test_config.py",
    ),
    Regression(
        "access tokens last 5 minutes by default",
        SETTINGS,
        'env.int("JWT_ACCESS_TOKEN_MINUTES", default=5)',
        'env.int("JWT_ACCESS_TOKEN_MINUTES", default=60)',
        run_first="tests/test_config.py",
    ),
    Regression(
        "refresh tokens last a day by default",
        SETTINGS,
        'env.int("JWT_REFRESH_TOKEN_DAYS", default=1)',
        'env.int("JWT_REFRESH_TOKEN_DAYS", default=14)',
        run_first="tests/test_config.py",
    ),
    Regression(
        "refresh chains end after 30 days by default",
        SETTINGS,
        'env.int("JWT_REFRESH_TOKEN_MAX_DAYS", default=30)',
        'env.int("JWT_REFRESH_TOKEN_MAX_DAYS", default=3650)',
        run_first="tests/test_config.py",
    ),
    Regression(
        "X-Forwarded-For is not trusted by default",
        SETTINGS,
        'env.int("DJANGO_NUM_PROXIES", default=0)',
        'env.int("DJANGO_NUM_PROXIES", default=1)',
        run_first="tests/test_config.py",
    ),
    Regression(
        "no CORS origin unless listed",
        SETTINGS,
        'env.list("DJANGO_CORS_ALLOWED_ORIGINS", default=[])',
        'env.list("DJANGO_CORS_ALLOWED_ORIGINS", default=["http://localhost:5173"])',
        run_first="tests/test_config.py",
    ),
    Regression(
        "the lockout's shipped failure limit",
        SETTINGS,
        'env.int("DJANGO_LOGIN_FAILURE_LIMIT", default=10)',
        'env.int("DJANGO_LOGIN_FAILURE_LIMIT", default=100)',
        run_first="tests/test_config.py",
    ),
    # --- HTTPS: what `check --deploy` asks for once DJANGO_HTTPS is true.
    Regression(
        "session cookies travel over HTTPS only",
        SETTINGS,
        "    SESSION_COOKIE_SECURE = True\n",
        "    SESSION_COOKIE_SECURE = False\n",
        run_first="tests/test_config.py",
    ),
    Regression(
        "HTTP is redirected to HTTPS",
        SETTINGS,
        "    SECURE_SSL_REDIRECT = True\n",
        "",
        run_first="tests/test_config.py",
    ),
    Regression(
        "HSTS is sent",
        SETTINGS,
        'env.int("DJANGO_HSTS_SECONDS", default=60 * 60 * 24 * 365)',
        'env.int("DJANGO_HSTS_SECONDS", default=0)',
        run_first="tests/test_config.py",
    ),
    # --- Who gets in.
    Regression(
        "HTTP Basic stays off (unthrottled password guessing)",
        SETTINGS,
        '        "rest_framework.authentication.SessionAuthentication",\n',
        '        "rest_framework.authentication.SessionAuthentication",\n'
        '        "rest_framework.authentication.BasicAuthentication",\n',
        run_first="tests/test_auth.py",
    ),
    Regression(
        "logout ends access tokens (stock simplejwt authentication)",
        SETTINGS,
        '"accounts.authentication.JWTAuthentication",',
        '"rest_framework_simplejwt.authentication.JWTAuthentication",',
        run_first="tests/test_accounts.py",
    ),
    Regression(
        "every route needs a user unless it says otherwise",
        SETTINGS,
        '"DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"]',
        '"DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"]',
        run_first="tests/test_accounts.py",
    ),
    Regression(
        "common passwords are refused",
        SETTINGS,
        '    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},\n',
        "",
        run_first="tests/test_accounts.py",
    ),
    Regression(
        "short passwords are refused",
        SETTINGS,
        '    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},\n',
        "",
        run_first="tests/test_accounts.py",
    ),
    Regression(
        "credentialed CORS stays off",
        SETTINGS,
        "CORS_ALLOW_CREDENTIALS = False",
        "CORS_ALLOW_CREDENTIALS = True",
        run_first="tests/test_accounts.py",
    ),
    Regression(
        "an inactive user's tokens are refused",
        TOKENS,
        "    if user is None or not user.is_active:\n",
        "    if user is None:\n",
        run_first="tests/test_auth.py",
    ),
    Regression(
        "a bulk update() ends the tokens as save() does",
        "accounts/models.py",
        "    objects = UserManager()\n",
        "",
        run_first="tests/test_accounts.py",
    ),
    Regression(
        "a logout ends every token of the user",
        TOKENS,
        "            user.end_all_tokens()\n        if not spent:",
        "        if not spent:",
        run_first="tests/test_auth.py",
    ),
    Regression(
        "a reused refresh token ends every token of its user",
        TOKENS,
        "            user.end_all_tokens()\n            raise AuthenticationFailed(",
        "            raise AuthenticationFailed(",
        run_first="tests/test_auth.py",
    ),
    Regression(
        "one refresh token buys one pair under concurrent requests",
        TOKENS,
        "        with transaction.atomic():\n"
        "            _, created = self.blacklist()\n"
        "        return created\n",
        "        # Simpler: look first, then write.\n"
        "        used = BlacklistedToken.objects.filter(token__jti=self[api_settings.JTI_CLAIM])\n"
        "        if used.exists():\n"
        "            return False\n"
        "        self.blacklist()\n"
        "        return True\n",
        ("sqlite", "postgres"),
        run_first="tests/test_auth.py",
    ),
    Regression(
        "refresh chains end at their absolute lifetime (the cap on each new expiry)",
        TOKENS,
        "        self.payload[claim] = min(self.payload[claim], self.chain_end())\n",
        "",
        run_first="tests/test_auth.py",
    ),
    Regression(
        "refresh chains end at their absolute lifetime (a lifetime shortened later)",
        TOKENS,
        "        if self.chain_end() <= datetime_to_epoch(self.current_time):\n",
        "        if False:\n",
        run_first="tests/test_auth.py",
    ),
    Regression(
        "verify refuses a logged-out token",
        TOKENS,
        '            raise TokenError("Token is blacklisted")\n        current_user(token)\n',
        '            raise TokenError("Token is blacklisted")\n',
        run_first="tests/test_auth.py",
    ),
    Regression(
        "a logout ends the browser sessions too",
        "accounts/models.py",
        'value = f"{self.password}:{self.token_version}"',
        'value = f"{self.password}"',
        run_first="tests/test_auth.py",
    ),
    # --- Throttles.
    Regression(
        "the token endpoint is throttled",
        VIEWS,
        '    throttle_scope = "token"\n\n\nclass RefreshView',
        "\n\nclass RefreshView",
        run_first="tests/test_auth.py",
    ),
    Regression(
        "sign-up is throttled",
        VIEWS,
        '    throttle_scope = "register"  # see DJANGO_REGISTER_THROTTLE_RATE\n',
        "",
        run_first="tests/test_accounts.py",
    ),
    Regression(
        "a stale token does not block sign-up",
        VIEWS,
        "    authentication_classes = []  #",
        "    #",
        run_first="tests/test_accounts.py",
    ),
    # --- The resource.
    Regression(
        "only the owner changes an object",
        "things/permissions.py",
        "obj.owner_id == request.user.id",
        "request.user.is_authenticated",
        run_first="tests/test_things.py",
    ),
    Regression(
        "anonymous clients read nothing",
        "things/views.py",
        "permission_classes = [permissions.IsAuthenticated, IsOwnerOrReadOnly]",
        "permission_classes = [permissions.IsAuthenticatedOrReadOnly, IsOwnerOrReadOnly]",
        run_first="tests/test_auth.py",
    ),
    Regression(
        "pages hold at most 100 rows",
        "things/pagination.py",
        "    max_page_size = 100\n",
        "    max_page_size = 10_000\n",
        run_first="tests/test_things.py",
    ),
    Regression(
        "a forged cursor gets 404, not a 500",
        "things/pagination.py",
        "                int(cursor.position)\n",
        "                str(cursor.position)\n",
        run_first="tests/test_things.py",
    ),
    # --- The site.
    Regression(
        "the health check asks the database",
        "config/health.py",
        '        return JsonResponse({"status": "database unavailable"}, status=503)',
        '        return JsonResponse({"status": "database unavailable"}, status=200)',
        run_first="tests/test_site.py",
    ),
    Regression(
        "an oversized body gets a JSON 413",
        "config/exceptions.py",
        "    if isinstance(exc, RequestDataTooBig):\n        exc = RequestTooLarge()\n    elif",
        "    if",
        run_first="tests/test_things.py",
    ),
    # --- Accounts: security state, names, passwords, the lockout.
    Regression(
        "a stale user object never writes back the password or the is_* flags",
        "accounts/models.py",
        'if name != "token_version" and (name not in GUARDED_FIELDS or name in changed)',
        'if name != "token_version"',
        run_first="tests/test_security_state.py",
    ),
    Regression(
        "token_version goes up in SQL, not from memory",
        "accounts/models.py",
        'update(\n                token_version=models.F("token_version") + 1\n            )',
        "update(token_version=self.token_version + 1)",
        run_first="tests/test_security_state.py",
    ),
    Regression(
        "a profile change writes only the fields it was sent",
        "accounts/serializers.py",
        "        user.save(update_fields=list(validated_data))\n",
        "        user.save()\n",
        run_first="tests/test_security_state.py",
    ),
    Regression(
        "usernames are unique without regard to case",
        "accounts/models.py",
        'return unicodedata.normalize("NFKC", username.casefold())',
        'return unicodedata.normalize("NFKC", username)',
        run_first="tests/test_accounts.py",
    ),
    Regression(
        "a password is checked exactly as typed, spaces included",
        TOKENS,
        '        self.fields["password"] = PasswordField()\n',
        "",
        run_first="tests/test_accounts.py",
    ),
    Regression(
        "the email changes only with the current password",
        "accounts/serializers.py",
        'if "email" in attrs and attrs["email"] != self.instance.email:',
        "if False:",
        run_first="tests/test_accounts.py",
    ),
    Regression(
        "a right password clears that account's count at that address",
        "accounts/lockout.py",
        "PasswordFailure.objects.filter(username=self.username, address=self.address).delete()",
        "pass",
        run_first="tests/test_accounts.py",
    ),
    Regression(
        "a database that cannot answer gets 503, not 500",
        "config/exceptions.py",
        "    if database_unavailable(sys.exception()):",
        "    if False:",
        run_first="tests/test_site.py",
    ),
]
