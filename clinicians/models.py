import uuid

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Length, Lower
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django_otp.models import Device, ThrottlingMixin, TimestampMixin


# The seed's resources; each clinic may replace this text with its own local numbers.
DEFAULT_CRISIS_RESOURCES = """If there is immediate danger, call emergency services (911 in the US) or go to the nearest emergency room.
988 Suicide & Crisis Lifeline: call or text 988 (US).
National Domestic Violence Hotline: 1-800-799-7233 (US)."""
CRISIS_RESOURCES_MAX_LENGTH = 2000  # a dozen resources of a line or two; bounds the urgent box in reports


class Clinic(models.Model):
    class TwoFactor(models.TextChoices):
        OPTIONAL = "optional", "Optional for everyone"
        ADMINS = "admins", "Required for clinic admins"
        EVERYONE = "everyone", "Required for everyone"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=120)
    # Raised by database triggers (migration 0014) on any change of this row and when a clinician's name
    # changes: part of the key a results page is kept under (reports/results_page.py).
    revision = models.PositiveBigIntegerField(
        default=0, editable=False,
        help_text="Raised by database triggers whenever something every report of the clinic shows changes.")
    crisis_resources = models.TextField(
        default=DEFAULT_CRISIS_RESOURCES, max_length=CRISIS_RESOURCES_MAX_LENGTH,
        help_text="Shown with every urgent safety flag, on screen and in reports. One resource per line.",
    )
    all_clients_open = models.BooleanField(
        "every clinician sees every client", default=False,
        help_text="Off: clinicians see the clients assigned to them. Clinic admins always see every client.",
    )
    two_factor = models.CharField(
        "two-factor sign-in", max_length=10, choices=TwoFactor.choices, default=TwoFactor.OPTIONAL,
    )
    rescreen_interval_days = models.PositiveSmallIntegerField(
        "re-screen every (days)", default=90, validators=[MinValueValidator(7), MaxValueValidator(730)],
        help_text="A client is due this many days after their last completed screening, unless their own interval differs.",
    )
    self_report_link_hours = models.PositiveSmallIntegerField(
        "self-report links last (hours)", default=72, validators=[MinValueValidator(1), MaxValueValidator(336)],
        help_text="How long a one-time link a client answers on their own stays usable, unless used or cancelled first.",
    )
    export_retention_days = models.PositiveSmallIntegerField(
        "keep exports for (days)", default=7, validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text="Export files are deleted this many days after they are made.",
    )
    pool_reliability_estimates = models.BooleanField(
        "pool reliability estimates with other clinics", default=False,
        help_text="On: the reliability estimates used to judge change at re-screens are worked out from the complete "
                  "intakes of every clinic that has this on, not only this clinic's. Only aggregate figures are shared "
                  "(how the answers to each item vary together); no client's answers or details leave this clinic's "
                  "records. Each judgement says whether its estimate is this clinic's or pooled.",
    )
    synthetic = models.BooleanField(
        default=False, editable=False, help_text="Made by seed_demo or seed_scale: no real client data.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rescreen_interval_days__gte=7, rescreen_interval_days__lte=730),
                name="clinic_rescreen_interval_range",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("crisis_resources"), CRISIS_RESOURCES_MAX_LENGTH),
                name="clinic_crisis_resources_length",
            ),
            models.CheckConstraint(
                condition=models.Q(self_report_link_hours__gte=1, self_report_link_hours__lte=336),
                name="clinic_self_report_link_hours_range",
            ),
            models.CheckConstraint(
                condition=models.Q(export_retention_days__gte=1, export_retention_days__lte=90),
                name="clinic_export_retention_days_range",
            ),
        ]

    def __str__(self):
        return self.name


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, email):
        return self.get(email__iexact=email)

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    class Role(models.TextChoices):
        CLINICIAN = "clinician", "Clinician"
        ADMIN = "admin", "Clinic admin"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=120, blank=True)
    clinic = models.ForeignKey(
        Clinic, null=True, blank=True, on_delete=models.PROTECT, related_name="members",
        help_text="Clinicians see only their own clinic's clients. Site staff may have none.",
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.CLINICIAN)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May log in to the Django admin site.")
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        ordering = ["full_name", "email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self):
        return self.full_name or self.email

    def get_full_name(self):
        return self.full_name or self.email

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def is_clinic_admin(self):
        return self.clinic_id is not None and self.role == self.Role.ADMIN

    @property
    def two_factor_required(self):
        if self.is_staff:  # site staff open the Django admin, which shows every clinic's records
            return True
        if self.clinic_id is None:
            return False
        policy = self.clinic.two_factor
        return policy == Clinic.TwoFactor.EVERYONE or (policy == Clinic.TwoFactor.ADMINS and self.is_clinic_admin)


class Invitation(models.Model):
    """A single-use link by which a clinic admin brings a clinician in; only its token's hash is kept."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=20, choices=User.Role.choices, default=User.Role.CLINICIAN)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(accepted_at__isnull=True, accepted_by__isnull=True)
                | models.Q(accepted_at__isnull=False, accepted_by__isnull=False),
                name="invitation_acceptance_consistent",
            ),
        ]

    def __str__(self):
        return f"Invitation for {self.email}"

    @property
    def is_expired(self):
        return timezone.now() >= self.expires_at

    @property
    def is_used(self):
        return self.accepted_at is not None


RECOVERY_CODE_SALT = "bondscreen.recovery-code"


def recovery_code_hashes(code):
    """The code's keyed hash under SECRET_KEY and under each of SECRET_KEY_FALLBACKS (the first is the one
    to store). Keyed: a copy of the database alone cannot try all 8-letter codes against a hash."""
    from django.conf import settings

    code = (code or "").strip().lower()
    return [salted_hmac(RECOVERY_CODE_SALT, code, secret=secret, algorithm="sha256").hexdigest()
            for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]]


class RecoveryCodeDevice(TimestampMixin, ThrottlingMixin, Device):
    """One-time recovery codes (a django-otp device), beside an authenticator app. Only the codes'
    hashes are stored; each code is shown once, when made, and works once."""

    def get_throttle_factor(self):
        return 1

    def set_codes(self, codes):
        self.codes.all().delete()
        RecoveryCode.objects.bulk_create(
            [RecoveryCode(device=self, code_hash=recovery_code_hashes(code)[0]) for code in codes]
        )

    def verify_token(self, token):
        allowed, _ = self.verify_is_allowed()
        if not allowed:
            return False
        # Deleting is the check: of two requests with the same code at once, only one deletes it.
        used, _ = self.codes.filter(code_hash__in=recovery_code_hashes(token)).delete()
        if used:
            self.throttle_reset(commit=False)
            self.set_last_used_timestamp(commit=False)
            self.save()
            return True
        self.throttle_increment()
        return False


class RecoveryCode(models.Model):
    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=64, db_index=True, editable=False)

    def __str__(self):
        return "Recovery code (hashed)"
