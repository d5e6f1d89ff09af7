from django.core.management.base import BaseCommand

from screening.instrument import CURRENT_KEY, load_instrument
from screening.item_table import item_table


class Command(BaseCommand):
    help = "Print an instrument's items as a Markdown table (the README's item table)."

    def add_arguments(self, parser):
        parser.add_argument("key", nargs="?", default=CURRENT_KEY)

    def handle(self, *args, key, **options):
        self.stdout.write(item_table(load_instrument(key)))
