from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.services import api_token_create, api_token_parse_scopes


class Command(BaseCommand):
    help = "Create an API token; the token is printed alone on the last line, once."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--scopes", required=True,
                            help="comma-separated: ingest,read,write,secrets,evidence")

    def handle(self, *args, name, scopes, **options):
        try:
            scope_list = api_token_parse_scopes(scopes)
        except ValidationError as exc:
            raise CommandError(exc.messages[0], returncode=2) from None
        token, raw_key = api_token_create(name=name, scopes=scope_list)
        self.stderr.write(f"created token {token.prefix} '{name}' with scopes "
                          f"{','.join(token.scopes)}; it is shown once:")
        self.stdout.write(raw_key)
