from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from clinicians.decorators import clinic_admin_required
from clinicians.forms import ClinicSettingsForm


@require_http_methods(["GET", "POST"])
@clinic_admin_required
def clinic_settings(request):
    form = ClinicSettingsForm(request.POST or None, instance=request.user.clinic)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Clinic settings saved.")
        return redirect("clinic_settings")
    return render(request, "clinicians/clinic_settings.html", {"form": form})
