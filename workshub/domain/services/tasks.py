"""Tasks: managers create and assign them for the people of the teams they lead (admins for
anyone); whoever a task is assigned to may move its status."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session

from workshub.domain.errors import Forbidden, NotFound, ValidationFailed, VersionConflict
from workshub.domain.events import TaskChanged
from workshub.domain.models import Project, ProjectStatus, Role, Task, TaskStatus, User
from workshub.domain.scope import Viewer, manager_client_ids
from workshub.domain.services.common import UNSET, Unset, text_field
from workshub.domain.services.public import task_public
from workshub.domain.uow import UnitOfWork

__all__ = ["TITLE_MAX", "create_task", "manages_task", "update_task"]

TITLE_MAX = 300


def manages_task(
    session: Session,
    viewer: Viewer,
    *,
    project: Project,
    assignee: User | None,
    now: datetime,
) -> bool:
    """Admin: any task. Manager: tasks of themselves and their led teams' people, and unassigned
    tasks on their clients' projects (or internal ones). Nobody else."""
    if viewer.is_admin:
        return True
    if viewer.role is not Role.manager:
        return False
    if assignee is not None:
        return assignee.id == viewer.id or viewer.leads(assignee.team_id)
    return project.client_id is None or project.client_id in manager_client_ids(
        session, viewer, now=now
    )


def create_task(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    project_id: int,
    title: str,
    assignee_id: int | None = None,
    due_on: date | None = None,
    status: str = TaskStatus.todo.value,
) -> Task:
    session = uow.session
    if viewer.role not in (Role.manager, Role.admin):
        raise Forbidden("Only managers and admins create tasks.")
    project = session.get(Project, project_id)
    if project is None or project.status != ProjectStatus.active.value:
        raise ValidationFailed.field("project_id", "is not an active project")
    task = Task(
        project_id=project_id,
        title=text_field(title, field="title", max_length=TITLE_MAX, required=True),
        status=_status(status),
        due_on=due_on,
    )
    assignee = _assignee(session, viewer, assignee_id)
    task.assignee_id = assignee.id if assignee else None
    if not manages_task(session, viewer, project=project, assignee=assignee, now=uow.now):
        raise ValidationFailed.field("project_id", "is not a project of your clients")
    session.add(task)
    session.flush()
    assert task.id is not None
    uow.audit("task.create", "task", task.id, after=task_public(task))
    _emit(uow, viewer, task, project=project, people=[assignee])
    return task


def update_task(
    uow: UnitOfWork,
    viewer: Viewer,
    *,
    task_id: int,
    version: int,
    status: str | None = None,
    title: str | None = None,
    assignee_id: int | Unset | None = UNSET,
    due_on: date | Unset | None = UNSET,
) -> Task:
    """Changes the fields given (None/UNSET = unchanged; assignee_id and due_on may be set to
    None). An assignee who does not manage the task may change its status only."""
    session = uow.session
    task = session.get(Task, task_id, with_for_update=True)
    if task is None:
        raise NotFound("task")
    project = session.get(Project, task.project_id)
    assert project is not None
    old_assignee = session.get(User, task.assignee_id) if task.assignee_id else None
    manages = manages_task(session, viewer, project=project, assignee=old_assignee, now=uow.now)
    assigned = task.assignee_id == viewer.id
    if not (manages or assigned or viewer.org_wide):
        raise NotFound("task")
    if not manages and (not assigned or title is not None or not _unset(assignee_id, due_on)):
        raise Forbidden("You may only change the status of a task assigned to you.")
    if task.version != version:
        raise VersionConflict(
            "The task was changed by someone else; here is the current one.",
            current=task_public(task),
        )
    before = task_public(task)
    if status is not None:
        task.status = _status(status)
    if title is not None:
        task.title = text_field(title, field="title", max_length=TITLE_MAX, required=True)
    if not isinstance(due_on, Unset):
        task.due_on = due_on
    new_assignee = old_assignee
    if not isinstance(assignee_id, Unset) and assignee_id != task.assignee_id:
        new_assignee = _assignee(session, viewer, assignee_id)
        task.assignee_id = assignee_id
    if task_public(task) == before:
        return task
    task.version += 1
    session.add(task)
    uow.audit("task.update", "task", task.id, before=before, after=task_public(task))
    _emit(uow, viewer, task, project=project, people=[old_assignee, new_assignee])
    return task


def _unset(*values: object) -> bool:
    return all(isinstance(value, Unset) for value in values)


def _status(value: str) -> str:
    allowed = [s.value for s in TaskStatus]
    if value not in allowed:
        raise ValidationFailed.field("status", f"must be one of {', '.join(allowed)}")
    return value


def _assignee(session: Session, viewer: Viewer, assignee_id: int | None) -> User | None:
    """An active person the viewer may give tasks to: anyone for admin; a manager themself and
    the people of the teams they lead."""
    if assignee_id is None:
        return None
    person = session.get(User, assignee_id)
    allowed = person is not None and person.is_active
    if allowed and person is not None and not viewer.is_admin:
        allowed = person.id == viewer.id or viewer.leads(person.team_id)
    if not allowed:
        raise ValidationFailed.field("assignee_id", "is not someone you can assign tasks to")
    return person


def _emit(
    uow: UnitOfWork, viewer: Viewer, task: Task, *, project: Project, people: list[User | None]
) -> None:
    assert task.id is not None
    present = [p for p in people if p is not None]
    uow.emit(
        TaskChanged(
            actor_id=viewer.id,
            request_id=uow.request_id,
            task_id=task.id,
            project_id=task.project_id,
            client_id=project.client_id,
            assignee_ids=tuple(dict.fromkeys(p.id for p in present if p.id is not None)),
            team_ids=tuple(dict.fromkeys(p.team_id for p in present if p.team_id is not None)),
        )
    )
