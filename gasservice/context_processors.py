from django.conf import settings


def site(request):
    """Site name, the organisation profile (lazily) and the signed-in staff member's profile."""
    from django.utils.functional import SimpleLazyObject

    from accounts.models import OrganisationProfile

    user = getattr(request, "user", None)  # absent on a 400 raised before the middleware ran
    profile = getattr(user, "staff_profile", None) if user is not None and user.is_authenticated else None
    return {
        "SITE_NAME": settings.SITE_NAME,
        "staff_profile": profile,
        "organisation": SimpleLazyObject(OrganisationProfile.current),
    }
