"""Admin two-factor authentication (django-otp TOTP, static recovery codes) and
"log out everywhere".

When ADMIN_2FA_REQUIRED is on, a signed-in staff member whose session is not
verified by a second factor reaches only the enrolment and verification pages:
other pages redirect there, session-authenticated API calls answer 403 JSON.
Bearer-token API calls are unaffected (tokens are not sessions).
"""

import base64
import io
from urllib.parse import quote

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.sessions.models import Session
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp import match_token, user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

RECOVERY_CODES = 10
EXEMPT_PREFIXES = ("/account/2fa/", "/admin/logout/", "/static/", "/docs/", "/health", "/ping/")


# --- Services -----------------------------------------------------------------

def totp_device_pending(*, user) -> TOTPDevice:
    """The user's unconfirmed TOTP device (made on first call): its secret is being enrolled."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def totp_device_confirm(*, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm enrolment with a first code: fresh recovery codes, or None if the code is wrong."""
    if not device.verify_token(token.strip()):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
    return recovery_codes_regenerate(user=device.user)


def recovery_codes_regenerate(*, user) -> list[str]:
    """Replace the user's recovery codes (each works once); shown to them a single time."""
    static, _ = StaticDevice.objects.get_or_create(user=user, name="recovery codes")
    static.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    static.token_set.bulk_create([StaticToken(device=static, token=c) for c in codes])
    return codes


def sessions_end_all(*, user) -> int:
    """Log the user out everywhere: delete every session signed in as them."""
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            session.delete()
            ended += 1
    return ended


# --- Enforcement ----------------------------------------------------------------

def _needs_second_factor(request) -> bool:
    user = getattr(request, "user", None)
    return bool(settings.ADMIN_2FA_REQUIRED and user is not None and user.is_authenticated
                and user.is_staff and not user.is_verified())


class AdminTwoFactorMiddleware:
    """After django_otp's OTPMiddleware: unverified staff sessions go to 2FA first.

    Decided per view, not per header: an `Authorization` header proves nothing
    until DRF has checked it, and the admin never reads one. So every non-API view
    is guarded here whatever the request carries, and DRF views are left to
    `VerifiedSessionAuthentication`, which refuses the unverified session while a
    request that DRF authenticates by its Bearer token never reaches it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path.startswith(EXEMPT_PREFIXES) or _is_drf_view(view_func):
            return None
        if not _needs_second_factor(request):
            return None
        if request.path.startswith("/api/"):
            return JsonResponse(TWO_FACTOR_REQUIRED, status=403)
        target = "accounts:2fa-verify" if user_has_device(request.user) else "accounts:2fa-setup"
        return HttpResponseRedirect(f"{reverse(target)}?next={quote(request.get_full_path())}")


TWO_FACTOR_REQUIRED = {"detail": "Two-factor verification required: sign in "
                                 "to the admin and verify first."}


def _is_drf_view(view_func) -> bool:
    from rest_framework.views import APIView  # DRF imports settings: not at module load

    view_class = getattr(view_func, "cls", None)
    return isinstance(view_class, type) and issubclass(view_class, APIView)


def session_needs_second_factor(request) -> bool:
    """For DRF's session authentication: the signed-in staff session lacks its second factor."""
    return _needs_second_factor(request)


# --- Views ---------------------------------------------------------------------

def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/admin/"
    ok = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                         require_https=request.is_secure())
    return target if ok else "/admin/"


def _qr_svg(uri: str) -> str:
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode()


@login_required
@require_http_methods(["GET", "POST"])
def twofactor_setup(request):
    """Enrol an authenticator app: QR code and secret, confirmed by a first code."""
    if TOTPDevice.objects.filter(user=request.user, confirmed=True).exists() \
            and not request.user.is_verified():
        return HttpResponseRedirect(f"{reverse('accounts:2fa-verify')}?next=/account/2fa/setup/")
    device = totp_device_pending(user=request.user)
    error = ""
    if request.method == "POST":
        codes = totp_device_confirm(device=device, token=request.POST.get("token", ""))
        if codes is not None:
            otp_login(request, device)
            return render(request, "accounts/2fa_codes.html",
                          {"title": "Recovery codes", "codes": codes, "next": _next(request)})
        error = "That code is not valid: check the clock of your phone and try the next one."
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return render(request, "accounts/2fa_setup.html", {
        "title": "Set up two-factor authentication", "qr_svg": _qr_svg(device.config_url),
        "secret": secret, "error": error, "next": _next(request)})


@login_required
@require_http_methods(["GET", "POST"])
def twofactor_verify(request):
    """Second step of the admin login: a code from the app, or one recovery code."""
    error = ""
    if request.method == "POST":
        device = match_token(request.user, request.POST.get("token", "").strip())
        if device is not None:
            otp_login(request, device)
            return HttpResponseRedirect(_next(request))
        error = "That code is not valid."
    return render(request, "accounts/2fa_verify.html",
                  {"title": "Two-factor verification", "error": error, "next": _next(request)})


@login_required
@require_POST
def logout_everywhere(request):
    """End every session of the signed-in user, this one included."""
    sessions_end_all(user=request.user)
    return HttpResponseRedirect(reverse("admin:login"))
