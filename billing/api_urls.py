from rest_framework.routers import SimpleRouter

from .api import AdjustmentViewSet, CustomerBillingViewSet, DisputeViewSet, ImportViewSet

router = SimpleRouter()
router.register("customers", CustomerBillingViewSet, basename="billing-customer")
router.register("disputes", DisputeViewSet, basename="billing-dispute")
router.register("adjustments", AdjustmentViewSet, basename="billing-adjustment")
router.register("imports", ImportViewSet, basename="billing-import")

urlpatterns = router.urls
