from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("tickets", api.TicketViewSet, basename="ticket")
router.register("service-types", api.ServiceTypeViewSet, basename="servicetype")

urlpatterns = router.urls
