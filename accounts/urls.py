from django.urls import path

from accounts import twofactor

app_name = "accounts"
urlpatterns = [
    path("2fa/setup/", twofactor.twofactor_setup, name="2fa-setup"),
    path("2fa/verify/", twofactor.twofactor_verify, name="2fa-verify"),
    path("logout-everywhere/", twofactor.logout_everywhere, name="logout-everywhere"),
]
