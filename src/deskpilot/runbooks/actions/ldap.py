"""Directory actions: reset a password, unlock (and re-lock) an account, add to or remove from a group."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, field_validator

from deskpilot.runbooks.actions.base import Action, ActionContext, ActionInputs, PlannedChange, StepResult
from deskpilot.runbooks.parameters import directory_name


class UserInputs(ActionInputs):
    user: str

    @field_validator("user")
    @classmethod
    def _name(cls, value: str) -> str:
        return directory_name(value, what="user")


class PasswordInputs(UserInputs):
    password: str = Field(min_length=1, max_length=256)


class RestorePointInputs(UserInputs):
    restore_point: str = Field(pattern=r"^[0-9]{1,18}$")


class LockInputs(UserInputs):
    locked_time: str = Field(pattern=r"^[0-9]{12,14}(\.[0-9]+)?Z$")


class MembershipInputs(UserInputs):
    group: str

    @field_validator("group")
    @classmethod
    def _group(cls, value: str) -> str:
        return directory_name(value, what="group")


class ResetPassword(Action[PasswordInputs]):
    """Sets a new password. Undoable only where the directory keeps the previous one (deskpilot's own
    accounts keep its hash); over LDAP the desk never knows it, and the step cannot be undone."""

    name: ClassVar[str] = "ldap.reset_password"
    input_model = PasswordInputs
    inverse = "ldap.restore_password"
    secret_inputs = frozenset({"password"})

    def plan(self, ctx: ActionContext, inputs: PasswordInputs) -> PlannedChange:
        user = ctx.directory().find_user(inputs.user)
        return PlannedChange(f"Set a new password on {user.dn}; the current password stops working.",
                             before={"dn": user.dn, "locked": user.locked}, after={"dn": user.dn, "password": "new"})

    def execute(self, ctx: ActionContext, inputs: PasswordInputs) -> StepResult:
        directory = ctx.directory()
        user = directory.find_user(inputs.user)
        restore_point = directory.set_password(user, inputs.password)
        undo = {"user": user.name, "restore_point": restore_point} if restore_point is not None else None
        return StepResult(f"password of {user.name} reset", {"dn": user.dn, "changed": True}, undo)


class RestorePassword(Action[RestorePointInputs]):
    """Puts back the password a reset replaced; used as the rollback of `ldap.reset_password`."""

    name: ClassVar[str] = "ldap.restore_password"
    input_model = RestorePointInputs

    def plan(self, ctx: ActionContext, inputs: RestorePointInputs) -> PlannedChange:
        user = ctx.directory().find_user(inputs.user)
        return PlannedChange(f"Put back the password {user.dn} had before the reset; the reset one stops working.",
                             {"dn": user.dn, "password": "reset"}, {"dn": user.dn, "password": "previous"})

    def execute(self, ctx: ActionContext, inputs: RestorePointInputs) -> StepResult:
        directory = ctx.directory()
        user = directory.find_user(inputs.user)
        directory.restore_password(user, inputs.restore_point)
        return StepResult(f"previous password of {user.name} put back", {"dn": user.dn, "changed": True})


class UnlockAccount(Action[UserInputs]):
    name: ClassVar[str] = "ldap.unlock_account"
    input_model = UserInputs
    inverse = "ldap.lock_account"

    def plan(self, ctx: ActionContext, inputs: UserInputs) -> PlannedChange:
        user = ctx.directory().find_user(inputs.user)
        if not user.locked:
            return PlannedChange(f"{user.dn} is not locked: nothing to do.", {"locked": False}, {"locked": False},
                                 changes=False)
        return PlannedChange(f"Unlock {user.dn} (locked since {user.lock}).", {"locked": True, "since": user.lock},
                             {"locked": False})

    def execute(self, ctx: ActionContext, inputs: UserInputs) -> StepResult:
        directory = ctx.directory()
        user = directory.find_user(inputs.user)
        if not user.locked:
            return StepResult(f"{user.name} was not locked", {"dn": user.dn, "changed": False})
        directory.unlock(user)
        # A lock can only be put back where the directory allows setting it (OpenLDAP, not AD).
        restorable = user.lock is not None and directory.can_restore_lock
        undo = {"user": user.name, "locked_time": user.lock} if restorable else None
        return StepResult(f"{user.name} unlocked", {"dn": user.dn, "changed": True, "was_locked_since": user.lock},
                          undo)


class LockAccount(Action[LockInputs]):
    """Restores a lock an unlock removed; used as the rollback of `ldap.unlock_account`."""

    name: ClassVar[str] = "ldap.lock_account"
    input_model = LockInputs
    inverse = "ldap.unlock_account"

    def plan(self, ctx: ActionContext, inputs: LockInputs) -> PlannedChange:
        user = ctx.directory().find_user(inputs.user)
        return PlannedChange(f"Lock {user.dn} again (as of {inputs.locked_time}).", {"locked": user.locked},
                             {"locked": True}, changes=not user.locked)

    def execute(self, ctx: ActionContext, inputs: LockInputs) -> StepResult:
        directory = ctx.directory()
        user = directory.find_user(inputs.user)
        if user.locked:
            return StepResult(f"{user.name} was locked already", {"dn": user.dn, "changed": False})
        directory.lock(user, inputs.locked_time)
        return StepResult(f"{user.name} locked again", {"dn": user.dn, "changed": True}, {"user": user.name})


class AddToGroup(Action[MembershipInputs]):
    name: ClassVar[str] = "ldap.add_to_group"
    input_model = MembershipInputs
    inverse = "ldap.remove_from_group"

    def plan(self, ctx: ActionContext, inputs: MembershipInputs) -> PlannedChange:
        directory = ctx.directory()
        user, group = directory.find_user(inputs.user), directory.find_group(inputs.group)
        member = group.has_member(user.dn)
        what = f"{user.dn} is already a member of {group.dn}: nothing to do." if member else \
            f"Add {user.dn} to {group.dn}."
        return PlannedChange(what, {"member": member}, {"member": True}, changes=not member)

    def execute(self, ctx: ActionContext, inputs: MembershipInputs) -> StepResult:
        directory = ctx.directory()
        user, group = directory.find_user(inputs.user), directory.find_group(inputs.group)
        if group.has_member(user.dn):
            return StepResult(f"{user.name} was already in {group.name}", {"changed": False})
        directory.add_member(group, user)
        return StepResult(f"{user.name} added to {group.name}", {"changed": True, "group_dn": group.dn},
                          {"user": user.name, "group": group.name})


class RemoveFromGroup(Action[MembershipInputs]):
    name: ClassVar[str] = "ldap.remove_from_group"
    input_model = MembershipInputs
    inverse = "ldap.add_to_group"

    def plan(self, ctx: ActionContext, inputs: MembershipInputs) -> PlannedChange:
        directory = ctx.directory()
        user, group = directory.find_user(inputs.user), directory.find_group(inputs.group)
        member = group.has_member(user.dn)
        what = f"Remove {user.dn} from {group.dn}." if member else \
            f"{user.dn} is not a member of {group.dn}: nothing to do."
        return PlannedChange(what, {"member": member}, {"member": False}, changes=member)

    def execute(self, ctx: ActionContext, inputs: MembershipInputs) -> StepResult:
        directory = ctx.directory()
        user, group = directory.find_user(inputs.user), directory.find_group(inputs.group)
        if not group.has_member(user.dn):
            return StepResult(f"{user.name} was not in {group.name}", {"changed": False})
        directory.remove_member(group, user)
        return StepResult(f"{user.name} removed from {group.name}", {"changed": True, "group_dn": group.dn},
                          {"user": user.name, "group": group.name})
