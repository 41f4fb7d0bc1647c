from django.conf import settings


def site(request):
    """Site name and the signed-in staff member's profile for the base layout."""
    profile = getattr(request.user, "staff_profile", None) if request.user.is_authenticated else None
    return {"SITE_NAME": settings.SITE_NAME, "staff_profile": profile}
