"""The category seed (idempotent, keeps administrators' edits) and the demo complaints."""

import pytest
from django.core.management import call_command

from complaints.demo import seed_demo_complaints
from complaints.models import Complaint, ComplaintCategory
from complaints.seed import CATEGORIES, seed_complaint_categories

from .factories import MON

pytestmark = pytest.mark.django_db


def test_categories_are_seeded_after_migrate_and_seeding_again_adds_nothing():
    expected = len(CATEGORIES) + sum(len(children) for *_, children in CATEGORIES)
    assert ComplaintCategory.objects.count() == expected
    ComplaintCategory.objects.filter(code="other").update(name="其他问题")
    assert seed_complaint_categories() == 0
    assert ComplaintCategory.objects.get(code="other").name == "其他问题"
    assert ComplaintCategory.objects.get(code="safety").is_safety
    assert ComplaintCategory.objects.get(code="billing.owner_change_arrears").parent.code == "billing"


def test_seed_command_restores_a_deleted_category(capsys):
    ComplaintCategory.objects.filter(code="pipe.repair_out_of_scope").delete()
    call_command("seed_complaint_categories")
    assert "created: 1" in capsys.readouterr().out
    assert ComplaintCategory.objects.filter(code="pipe.repair_out_of_scope").exists()


def test_demo_complaints_use_the_services_and_run_once(org):
    created = seed_demo_complaints(now=MON, count=12)
    assert created == 12
    assert Complaint.objects.count() == 12
    assert Complaint.objects.filter(is_repeat=True).exists()
    assert seed_demo_complaints(now=MON, count=12) == 0
