from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html

from accounts.models import ApiToken, Scope
from accounts.services import api_token_create, api_token_revoke


class ApiTokenForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(choices=Scope.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = ApiToken
        fields = ["name", "scopes"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    form = ApiTokenForm
    list_display = ["name", "prefix", "scope_list", "status", "created_at", "last_used_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), "created_at"]
    search_fields = ["name", "prefix"]
    readonly_fields = ["prefix", "created_by", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    @admin.display(description="scopes")
    def scope_list(self, obj):
        return ", ".join(obj.scopes)

    @admin.display(description="status")
    def status(self, obj):
        if obj.revoked_at:
            return format_html('<span style="color:{}">{}</span>', "#ba2121", "revoked")
        return format_html('<span style="color:{}">{}</span>', "#417505", "active")

    def get_readonly_fields(self, request, obj=None):
        # A token's scopes are fixed once issued: revoke and create a new one instead.
        return [*self.readonly_fields, "scopes"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        token, raw_key = api_token_create(
            name=form.cleaned_data["name"], scopes=form.cleaned_data["scopes"],
            created_by=request.user,
        )
        obj.pk = token.pk
        obj.refresh_from_db()
        self.message_user(
            request,
            format_html("Token created. Copy it now, it is not shown again: <code>{}</code>",
                        raw_key),
            messages.WARNING,
        )

    @admin.action(description="Revoke selected tokens", permissions=["change"])
    def revoke(self, request, queryset):
        count = sum(api_token_revoke(token=t) for t in queryset)
        self.message_user(request, f"{count} token(s) revoked.", messages.SUCCESS)

from accounts import admin_lockout, admin_scans  # noqa: E402,F401  (issue 11 admin pages)
