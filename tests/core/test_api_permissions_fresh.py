"""An API key's permissions are the user's *current* ones: a role change or revocation counts on the next request."""
from __future__ import annotations

import webtest
from sqlalchemy import select

from core.api import API_PREFIX
from core.models.user import ApiKey, Role, User

NOTES = f"{API_PREFIX}/sample/notes"
PERMS = ("core.dashboard.view", "sample.note.view")


def test_role_changes_and_revocation_count_on_the_next_request(mutuo_db, make_user):
    from core.accounts import set_role_permissions
    from core.apikeys import create_api_key, revoke_api_key

    username, _pw = make_user(permissions=PERMS)
    known = mutuo_db.registry["mutuo.security"].permissions

    def key(s):
        user = s.scalars(select(User).where(User.username == username)).one()
        return create_api_key(s, user, "test", mutuo_db.registry["mutuo.security"], scope=list(PERMS))[1]
    plain = mutuo_db.transaction(key)
    api = webtest.TestApp(mutuo_db.app)
    h = {"Authorization": f"Bearer {plain}"}

    def role(s):
        return s.scalars(select(Role).where(Role.name == f"r_{username}")).one()

    assert api.get(NOTES, headers=h).status_int == 200
    mutuo_db.transaction(lambda s: set_role_permissions(s, role(s), ["core.dashboard.view"], known))
    assert api.get(NOTES, headers=h, status=403).json["missing_permission"] == "sample.note.view"
    mutuo_db.transaction(lambda s: set_role_permissions(s, role(s), list(PERMS), known))
    assert api.get(NOTES, headers=h).status_int == 200

    def drop_role(s):
        user = s.scalars(select(User).where(User.username == username)).one()
        user.roles.remove(role(s))
    mutuo_db.transaction(drop_role)
    api.get(NOTES, headers=h, status=403)

    def give_admin(s):
        user = s.scalars(select(User).where(User.username == username)).one()
        user.roles.append(s.scalars(select(Role).where(Role.name == "admin")).one())
    mutuo_db.transaction(give_admin)
    assert api.get(NOTES, headers=h).status_int == 200  # admin holds every permission; the scope still bounds it

    mutuo_db.transaction(lambda s: revoke_api_key(s, s.scalars(
        select(ApiKey).join(User, User.id == ApiKey.user_id).where(User.username == username)).one()))
    api.get(NOTES, headers=h, status=401)
