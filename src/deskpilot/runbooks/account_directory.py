"""deskpilot's own accounts as the identity directory, for desks without LDAP (and `make demo`).

The runbook actions see the same `Directory` as over LDAP: a person is a deskpilot account (by user name, or
by e-mail through the configured mail attribute), a reset sets the sign-in password (`accounts/password_reset`:
hashed, every session and token ended, audited, the previous hash kept for the rollback), a lock-out is the
sign-in rate limit and an unlock clears it. Writes go through the run's database session, inside the step's
savepoint, so a failed step leaves the account as it was.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts import password_reset
from deskpilot.accounts.models import User
from deskpilot.accounts.principal import Principal
from deskpilot.config import Settings
from deskpilot.errors import InvalidInput, NotFound, ProviderError
from deskpilot.runbooks.identity import DirectoryGroup, DirectoryUser
from deskpilot.runbooks.parameters import directory_name

DN_PREFIX = "deskpilot-account:"
LOCK_FORMAT = "%Y%m%d%H%M%SZ"


class AccountDirectory:
    """The accounts of this desk, acting for `actor` (recorded in the accounts' audit events)."""

    can_restore_lock = False  # a sign-in lock-out is the rate limit's record of failures; it cannot be set

    def __init__(self, session: Session, settings: Settings, actor: Principal) -> None:
        self.session, self.settings, self.actor = session, settings, actor

    def _entry(self, user: User | None, what: str) -> DirectoryUser:
        if user is None or not user.is_active:
            raise NotFound(f"No active deskpilot account with {what}.")
        since = password_reset.locked_since(self.session, username=user.username,
                                            per_minute=self.settings.login_attempts_per_minute)
        return DirectoryUser(dn=f"{DN_PREFIX}{user.username}", name=user.username, mail=user.email,
                             lock=since.strftime(LOCK_FORMAT) if since else None)

    def _account(self, entry: DirectoryUser) -> User:
        user = self.session.scalar(select(User).where(User.username == entry.name))
        if user is None or not user.is_active:
            raise NotFound(f"No active deskpilot account {entry.name!r}.")
        return user

    def find_user(self, name: str) -> DirectoryUser:
        """The active account with this user name."""
        username = directory_name(name, what="user")
        return self._entry(self.session.scalar(select(User).where(User.username == username.lower())),
                           f"user name {username!r}")

    def find_user_by(self, attribute: str, value: str) -> DirectoryUser:
        """By the configured mail attribute (the e-mail on file) or user name attribute."""
        if attribute == self.settings.ldap_mail_attribute:
            return self._entry(self.session.scalar(select(User).where(User.email == value.lower())),
                               "this e-mail address")
        if attribute == self.settings.ldap_user_attribute:
            return self.find_user(value)
        raise InvalidInput(f"deskpilot's accounts cannot be looked up by {attribute!r}; use the mail or user name "
                           "attribute.")

    @staticmethod
    def _no_groups(what: str) -> ProviderError:
        return ProviderError(f"deskpilot's own accounts have no directory groups ({what}); configure an LDAP "
                             "directory (DESKPILOT_LDAP_URL) to manage group membership.")

    def find_group(self, name: str) -> DirectoryGroup:
        raise self._no_groups(f"asked for {name!r}")

    def set_password(self, user: DirectoryUser, password: str) -> str:
        """Set the sign-in password; returns the restore point that puts the previous one back."""
        account = self._account(user)
        return str(password_reset.reset(self.session, actor=self.actor, user_id=account.id, password=password))

    def restore_password(self, user: DirectoryUser, restore_point: str) -> None:
        """Put back the password that `set_password` replaced (at most once)."""
        if not restore_point.isdigit():
            raise InvalidInput("A restore point of deskpilot's accounts is a number.")
        password_reset.restore(self.session, actor=self.actor, user_id=self._account(user).id,
                               restore_point_id=int(restore_point))

    def check_password(self, user: DirectoryUser, password: str) -> bool:
        return password_reset.signs_in_with(self.session, user_id=self._account(user).id, password=password)

    def unlock(self, user: DirectoryUser) -> None:
        password_reset.unlock(self.session, actor=self.actor, user_id=self._account(user).id)

    def lock(self, user: DirectoryUser, value: str) -> None:
        raise ProviderError(f"A sign-in lock-out of {user.name} (since {value}) cannot be put back: it is the record "
                            "of failed sign-ins, and it ends on its own a minute after the last one.")

    def add_member(self, group: DirectoryGroup, user: DirectoryUser) -> None:
        raise self._no_groups(f"adding {user.name} to {group.name}")

    def remove_member(self, group: DirectoryGroup, user: DirectoryUser) -> None:
        raise self._no_groups(f"removing {user.name} from {group.name}")

    def close(self) -> None:
        """Nothing to close: the run's database session belongs to the run."""
