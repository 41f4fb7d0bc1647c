from rest_framework.routers import SimpleRouter

from .api import ImprovementViewSet, RecoveryViewSet, SurveyViewSet

router = SimpleRouter()
router.register("surveys", SurveyViewSet, basename="survey")
router.register("recoveries", RecoveryViewSet, basename="recovery")
router.register("improvements", ImprovementViewSet, basename="improvement")

urlpatterns = router.urls
