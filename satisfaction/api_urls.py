from rest_framework.routers import SimpleRouter

from .api import RecoveryViewSet, SurveyViewSet

router = SimpleRouter()
router.register("surveys", SurveyViewSet, basename="survey")
router.register("recoveries", RecoveryViewSet, basename="recovery")

urlpatterns = router.urls
