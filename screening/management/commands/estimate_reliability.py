"""Make the reliability estimates of a month now (the scheduled job does this on the first of each month)."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from screening import estimates
from screening.reliability import MIN_N


def _day(text):
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--as-of must be a date, YYYY-MM-DD; got {text!r}") from None


class Command(BaseCommand):
    help = ("Make the reliability estimates of a month (default: this month) for every clinic that has none "
            "yet. Estimates already made are never changed: running it twice does nothing the second time.")

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=_day, default=None,
                            help="any day of the month (its first day is used); default: today")

    def handle(self, *args, as_of=None, **options):
        try:
            result = estimates.compute_month(as_of)
        except ValueError as error:
            raise CommandError(str(error)) from None
        rows = result.created
        clinics = len({row.clinic_id for row in rows})
        self.stdout.write(f"Reliability estimates of {result.as_of:%Y-%m-%d}: {len(rows)} made for {clinics} clinic(s).")
        for row in rows:
            figures = (f"alpha {row.alpha:.2f} ({row.alpha_low:.2f} to {row.alpha_high:.2f}), SD {row.sd:.1f}"
                       if row.has_figures else f"{max(0, MIN_N - row.n)} more complete intakes needed")
            self.stdout.write(f"  {row.clinic.name}: {row.instrument_key} {row.bond_type}, n = {row.n}, {figures}")
        for clinic, why in result.skipped:
            self.stdout.write(f"  {clinic.name}: not made, {why}.")
