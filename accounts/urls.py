from django.contrib.auth import views as auth_views
from django.urls import path

from . import twofactor, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("profile/", views.profile, name="profile"),
    path("password/", views.password_link, name="password_link"),
    path("set-password/<uidb64>/<token>/", views.SetPasswordView.as_view(), name="set_password"),
    path("email/confirm/<str:token>/", views.email_change_confirm, name="email_change_confirm"),
    path("email/report/<str:token>/", views.email_change_report, name="email_change_report"),
    path("password/change/", views.PasswordChangeView.as_view(), name="password_change"),
    path("two-factor/", twofactor.manage, name="two_factor"),
    path("two-factor/verify/", twofactor.verify, name="two_factor_verify"),
    path("two-factor/setup/", twofactor.setup, name="two_factor_setup"),
    path("two-factor/recovery-codes/", twofactor.recovery_codes, name="two_factor_codes"),
]
