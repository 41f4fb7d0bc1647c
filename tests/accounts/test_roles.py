"""The role rules other apps ask: who exchanges files with billing, who takes calls, who works on site."""

from accounts.roles import (
    Role,
    is_field_technician,
    is_service_staff,
    may_exchange_with_billing_system,
    takes_calls,
)

from .factories import UserFactory, make_staff


def test_each_role_gets_its_own_answers(org):
    answers = {
        role: (
            may_exchange_with_billing_system(user),
            takes_calls(user),
            is_field_technician(user),
            is_service_staff(user),
        )
        for role in Role
        for user in [make_staff(role, org.centre if role == Role.CENTRE_MANAGER else org.outlet1a)]
    }
    assert answers == {
        Role.FRONT_DESK: (False, False, False, True),
        Role.AGENT: (False, True, False, True),
        Role.TECHNICIAN: (False, False, True, False),
        Role.OUTLET_SUPERVISOR: (False, False, False, True),
        Role.BRANCH_MANAGER: (False, False, False, True),
        Role.CENTRE_MANAGER: (True, False, False, True),
        Role.ADMINISTRATOR: (True, False, False, True),
    }


def test_a_user_without_a_staff_role_gets_none_of_them_but_a_superuser_exchanges_with_billing(db):
    plain = UserFactory()
    superuser = UserFactory(is_superuser=True)
    assert not any(f(plain) for f in (may_exchange_with_billing_system, takes_calls, is_field_technician))
    assert may_exchange_with_billing_system(superuser) and not takes_calls(superuser)
