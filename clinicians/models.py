import uuid

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


# The seed's resources; each clinic may replace this text with its own local numbers.
DEFAULT_CRISIS_RESOURCES = """If there is immediate danger, call emergency services (911 in the US) or go to the nearest emergency room.
988 Suicide & Crisis Lifeline: call or text 988 (US).
National Domestic Violence Hotline: 1-800-799-7233 (US)."""


class Clinic(models.Model):
    class TwoFactor(models.TextChoices):
        OPTIONAL = "optional", "Optional for everyone"
        ADMINS = "admins", "Required for clinic admins"
        EVERYONE = "everyone", "Required for everyone"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=120)
    crisis_resources = models.TextField(
        default=DEFAULT_CRISIS_RESOURCES,
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
