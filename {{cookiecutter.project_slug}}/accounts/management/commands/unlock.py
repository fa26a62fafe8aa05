"""python manage.py unlock: lift a password lockout before its cool-off ends."""

from django.core.management.base import BaseCommand, CommandError

from accounts import lockout


class Command(BaseCommand):
    help = (
        "Forget the wrong passwords counted for an account (--username), from a client address "
        "(--address), for an account from one address (both), or all of them (--all)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", help="the account's username, any case")
        parser.add_argument("--address", help="an IPv4 address, or an IPv6 address or /64")
        parser.add_argument("--all", action="store_true", help="every count: lift every lock")

    def handle(self, *args, username, address, **options):
        if options["all"] == (username is not None or address is not None):
            raise CommandError("Give --username, --address (or both), or --all.")
        try:
            forgotten = lockout.unlock(username=username, address=address)
        except ValueError as error:
            raise CommandError(f"--address: {error}") from None
        self.stdout.write(f"Forgot {forgotten} wrong password(s).")
