"""mod_commands' deferred commands: ``sched_api``, ``sched_del``, ``unsched_api`` on the
switch scheduler, and ``bgapi`` (a command run in the background, BACKGROUND_JOB)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from eslkit.fsutil import c_atoi, c_atol, new_uuid
from eslkit.protocol.names import (
    EventType,
)
from eslkit.protocol.records import CallingSite
from eslkit.switch.api import ApiCall
from eslkit.switch.apis.core_commands import split_uuid_prefix
from eslkit.switch.clock import ScheduledTask
from eslkit.switch.events import add_header
from eslkit.switch.modules import Module

if TYPE_CHECKING:
    from eslkit.switch.core import Switch

__all__ = ["SCHED_SYNTAX", "module"]

module = Module("mod_commands")

SCHED_SYNTAX = "[+@]<time> <group_name> <command_string>[&]"
UNSCHED_SYNTAX = "<task_id>"
BGAPI_SITE = CallingSite("mod_commands.c", "bgapi_exec", 5423)


# ---------------------------------------------------------------------- scheduler
@dataclass(frozen=True, slots=True)
class _ScheduledApi:
    """``struct api_task``: what a sched_api task runs."""

    switch: Switch
    command_line: str
    recur: int


async def _run_scheduled(task: ScheduledTask) -> None:
    job = task.data
    assert isinstance(job, _ScheduledApi)
    switch, recur = job.switch, job.recur
    command, _, arg = job.command_line.partition(" ")
    result = await switch.api.execute(command, arg)
    switch.log(
        7,
        f"Command {command}({arg if _ else '(null)'}):\n{result.output}\n",
        file="mod_commands.c",
        function="sch_api_callback",
        line=5297,
    )
    if recur:
        task.runtime = switch.scheduler.now() + recur


@module.command("sched_api", "Schedule an api command", SCHED_SYNTAX)
def sched_api(call: ApiCall) -> None:
    """``sched_api +<secs>|@<every>|<epoch> <group> <command>[&]``: run a command later."""
    time_text, sep, rest = call.arg.partition(" ")
    group, sep2, command_line = rest.partition(" ")
    if not (call.arg and sep and sep2):
        call.write(f"-ERR Invalid syntax. USAGE: {SCHED_SYNTAX}\n")
        return
    scheduler = call.switch.scheduler
    recur = 0
    if time_text.startswith("+"):
        when = scheduler.now() + c_atol(time_text[1:])
    elif time_text.startswith("@"):
        recur = c_atol(time_text[1:]) & 0xFFFFFFFF
        when = scheduler.now() + recur
    else:
        when = c_atol(time_text)
    own_thread = command_line.endswith("&")
    if own_thread:
        command_line = command_line[:-1]
    task_id = scheduler.add(
        when,
        _run_scheduled,
        "sched_api_function",
        group,
        own_thread=own_thread,
        data=_ScheduledApi(call.switch, command_line, recur),
    )
    if not task_id:
        call.write("-ERR Too many scheduled tasks\n")
        return
    call.write(f"+OK Added: {task_id}\n")


@module.command("sched_del", "Delete a scheduled task", "<task_id>|<group_id>")
def sched_del(call: ApiCall) -> None:
    """Delete a task by id, or every task of a group."""
    arg = call.arg
    if arg.isdigit() and arg.isascii():
        task_id = c_atoi(arg) & 0xFFFFFFFF
        count = call.switch.scheduler.delete_id(task_id) if task_id > 0 else 0
    else:
        count = call.switch.scheduler.delete_group(arg)
    call.write(f"+OK Deleted: {count}\n")


@module.command("unsched_api", "Unschedule an api command", UNSCHED_SYNTAX)
def unsched_api(call: ApiCall) -> None:
    """Delete one task by id."""
    task_id = c_atol(call.arg) & 0xFFFFFFFF
    if task_id:
        call.write("+OK\n" if call.switch.scheduler.delete_id(task_id) else "-ERR No such id\n")


# ---------------------------------------------------------------------- bgapi
@module.command("bgapi", "Execute an api command in a thread", "<command>[ <arg>]")
def bgapi(call: ApiCall) -> None:
    """Run a command in the background; a BACKGROUND_JOB carries its output."""
    job_uuid, text = split_uuid_prefix(call.arg) if call.arg[:5].lower() == "uuid:" else ("", call.arg)
    if not text:
        call.write("-ERR Invalid syntax\n")
        return
    job_uuid = job_uuid or new_uuid()
    switch = call.switch
    call.write(f"+OK Job-UUID: {job_uuid}\n")

    async def job() -> None:
        command, sep, arg = text.partition(" ")
        result = await switch.api.execute(command, arg)
        body = result.output if result.ok else f"{command}: Command not found!\n"
        event = switch.new_event(EventType.BACKGROUND_JOB, BGAPI_SITE)
        add_header(event, "Job-UUID", job_uuid)
        add_header(event, "Job-Command", command)
        if sep:
            add_header(event, "Job-Command-Arg", arg)
        event.body = body
        switch.fire(event)

    switch.spawn(job())
