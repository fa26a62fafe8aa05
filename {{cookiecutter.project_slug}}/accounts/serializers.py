"""What the account endpoints read and write: sign-up, your own profile, a new password."""

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from rest_framework import serializers

from config.fields import PasswordField, StrictCharField, StrictModelSerializer

from . import passwords
from .models import username_key
from .tokens import TokenObtainPairSerializer

User = get_user_model()

USERNAME_TAKEN = "A user with that username already exists."
CANNOT_CHANGE = "This field cannot be changed here."


class UsernameField(StrictCharField):
    """A username as Django stores it: NFKC-normalized, so full-width "ａｌｉｃｅ" is "alice".

    The length and the characters are checked on the normalized name, the one that is stored:
    normalizing can make a name longer.
    """

    def to_internal_value(self, data):
        return User.normalize_username(super().to_internal_value(data))


def check_password_strength(password, user):
    """The project's AUTH_PASSWORD_VALIDATORS; what they refuse, as a DRF ValidationError."""
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as error:
        raise serializers.ValidationError(list(error.messages)) from error


class SignUpSerializer(serializers.ModelSerializer):
    username = UsernameField(
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text="150 characters or fewer: letters, digits and @ . + - _",
    )
    password = PasswordField(help_text="Checked by the project's password validators.")

    class Meta:
        model = User
        fields = ["id", "username", "email", "password", "date_joined"]
        read_only_fields = ["id", "date_joined"]

    def validate_username(self, username):
        # "Alice" must not pass for "alice", nor "Émile" for "émile" (see User.username_key).
        if User.objects.filter(username_key=username_key(username)).exists():
            raise serializers.ValidationError(USERNAME_TAKEN, code="unique")
        return username

    def validate(self, attrs):
        # The similarity validator compares the password with the username and email.
        candidate = User(username=attrs["username"], email=attrs.get("email", ""))
        try:
            check_password_strength(attrs["password"], candidate)
        except serializers.ValidationError as error:
            raise serializers.ValidationError({"password": error.detail}) from error
        return attrs

    def create(self, validated_data):
        try:
            with transaction.atomic():  # on PostgreSQL, a failed INSERT ends the transaction
                return User.objects.create_user(**validated_data)
        except IntegrityError:
            # Another sign-up took the name, in any case, between the check above and this
            # INSERT: the unique index on username_key refused the second one.
            raise serializers.ValidationError({"username": [USERNAME_TAKEN]}) from None


class MeSerializer(StrictModelSerializer):
    # Fields that never change through this endpoint. A request that names one is refused,
    # not silently ignored, so that no client believes it changed them.
    PROTECTED = {
        "password": "Change the password at /api/password/change/.",
        "is_staff": CANNOT_CHANGE,
        "is_superuser": CANNOT_CHANGE,
        "is_active": CANNOT_CHANGE,
        "token_version": CANNOT_CHANGE,
        "groups": CANNOT_CHANGE,
        "user_permissions": CANNOT_CHANGE,
        "last_login": CANNOT_CHANGE,
    }
    # The email is where a password reset would be sent: whoever holds a stolen token must
    # not be able to make it theirs.
    current_password = PasswordField(required=False, help_text="Needed to change the email.")

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "email",
            "current_password",
            "first_name",
            "last_name",
            "date_joined",
        ]
        read_only_fields = ["id", "username", "date_joined"]

    def validate(self, attrs):
        named = [name for name in self.PROTECTED if name in self.initial_data]
        if named:
            raise serializers.ValidationError({name: [self.PROTECTED[name]] for name in named})
        password = attrs.pop("current_password", None)
        if "email" in attrs and attrs["email"] != self.instance.email:
            # Checked last, once the rest is valid: a deliberately slow hash, counted towards
            # the guessing limit (accounts/passwords.py).
            if password is None:
                needed = "Give your current password to change the email."
                raise serializers.ValidationError({"current_password": [needed]})
            if not passwords.check(self.context["request"], self.instance, password):
                raise serializers.ValidationError({"current_password": ["Wrong password."]})
        return attrs

    def update(self, user, validated_data):
        for name, value in validated_data.items():
            setattr(user, name, value)
        # Only the fields sent: `user` was loaded when the request was authenticated, and a
        # whole-row save would write back what changed since (a new password, a logout).
        user.save(update_fields=list(validated_data))
        return user


class PasswordChangeSerializer(serializers.Serializer):
    old_password = PasswordField()
    new_password = PasswordField(help_text="Checked by the project's password validators.")
    # The answer: a new pair of tokens, the only ones of the user that still work.
    access = serializers.CharField(read_only=True)
    refresh = serializers.CharField(read_only=True)

    def validate_new_password(self, password):
        check_password_strength(password, self.context["request"].user)
        return password

    def validate(self, attrs):
        # Last, once everything else is valid: checking a password costs a deliberately slow
        # hash, which a request refused anyway should not get for free. A wrong one counts
        # towards the same guessing limit as the logins (accounts/lockout.py).
        request = self.context["request"]
        if not passwords.check(request, request.user, attrs["old_password"]):
            raise serializers.ValidationError({"old_password": ["Wrong password."]})
        return attrs

    def save(self):
        user = self.context["request"].user
        user.set_password(self.validated_data["new_password"])
        user.save(update_fields=["password"])  # also ends every token of the user (User.save)
        refresh = TokenObtainPairSerializer.get_token(user)  # carries the new token_version
        self.instance = {"refresh": str(refresh), "access": str(refresh.access_token)}
        return self.instance
