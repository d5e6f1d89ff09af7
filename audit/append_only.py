"""Rows that are only ever added: records that must stand as written (audit trail, follow-ups)."""

from django.db import models


class AppendOnlyError(Exception):
    """An append-only row was about to be changed or deleted."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError(f"{self.model._meta.verbose_name} rows are append-only: they cannot be updated.")

    def delete(self):
        raise AppendOnlyError(f"{self.model._meta.verbose_name} rows are append-only: they cannot be deleted.")

    _raw_delete = delete


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(f"{self._meta.verbose_name} rows are append-only: they cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{self._meta.verbose_name} rows are append-only: they cannot be deleted.")
