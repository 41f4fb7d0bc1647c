from django.conf import settings


def site(request):
    """Site name, the organisation profile (lazily) and the signed-in staff member's profile."""
    from django.utils.functional import SimpleLazyObject

    from accounts.models import OrganisationProfile

    profile = getattr(request.user, "staff_profile", None) if request.user.is_authenticated else None
    return {
        "SITE_NAME": settings.SITE_NAME,
        "staff_profile": profile,
        "organisation": SimpleLazyObject(OrganisationProfile.current),
    }
