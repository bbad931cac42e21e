"""The edge pipeline: an ordered list of steps that turn an inbound message into a capture.

Each step says whether it can run on the draft (``able_to_run``: :data:`RUN`, or :func:`skip`
with a reason) and then enriches it (``run``). Every step leaves a typed :class:`StepResult` on
the draft (ran, skipped with a reason, failed with a reason), which is also logged. A step that
fails records why and the pipeline goes on: the capture is always produced, so nothing a user
sent is dropped. A step that has settled the answer (an unplayable voice note) raises
:class:`StopPipeline` with a reason; one that finds inside ``run`` that it does not apply raises
:class:`SkipStep`; one that needs the whole message read again later (the object store is away)
raises :class:`RetryLater`, which the pipeline passes on (paperless-ngx's consume loop, typed).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo

import structlog

from financy.bots.common.message import InboundMessage
from financy.core.contracts.v1 import MAX_TEXT_CHARS, Provenance, ReceiptV1, Understanding

if TYPE_CHECKING:
    from financy.edge.pipeline.media import MediaJob

log = structlog.stdlib.get_logger(__name__)


class Outcome(StrEnum):
    """What became of one step on one draft."""

    RAN = "ran"
    SKIPPED = "skipped"
    FAILED = "failed"
    #: The step ran and settled the answer; the steps after it did not run.
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class StepResult:
    """One step's outcome on a draft, with the reason when it did not simply run."""

    step: str
    outcome: Outcome
    reason: str | None = None
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class Able:
    """A step's answer to ``able_to_run``: truthy when it runs, else falsy with the reason."""

    ok: bool
    reason: str | None = None

    def __bool__(self) -> bool:
        """Return whether the step runs."""
        return self.ok


#: ``able_to_run``'s answer when the step applies.
RUN = Able(True)


def skip(reason: str) -> Able:
    """Return ``able_to_run``'s answer when the step does not apply, and why."""
    return Able(False, reason)


class SkipStep(Exception):  # noqa: N818 - a control-flow signal, like StopIteration
    """Raised by ``run`` when it finds the step does not apply after all (``args[0]`` says why)."""


class StopPipeline(Exception):  # noqa: N818 - paperless-ngx's StopConsumeTaskError
    """Raised by ``run`` when the draft's answer is settled: the steps after it do not run."""


class RetryLater(Exception):  # noqa: N818 - a control-flow signal
    """Raised by ``run`` when the message must be read again later (its ``__cause__`` says why).

    The pipeline records it and raises it again: the caller (an RQ job) fails and is retried.
    """


@dataclass
class Draft:
    """A capture in the making: the inbound message, its text, and what steps found."""

    inbound: InboundMessage
    text: str | None
    text_truncated: bool = False
    understanding: Understanding | None = None
    #: ``"<step>: <reason>"`` of every step that failed (also in ``results``).
    failures: list[str] = field(default_factory=list)
    #: Every step's outcome, in order.
    results: list[StepResult] = field(default_factory=list)
    #: The earlier capture of this chat this message completes (see ``complete.CompleteMedia``).
    completes: UUID | None = None
    #: A voice note's or photo's job (media pipeline only), and its original once fetched.
    job: MediaJob | None = None
    data: bytes | None = None
    #: The language to read and answer in when the message is media (the sender's pt/en, else the edge's).
    language: str | None = None
    #: The chat's recent merchants (words speech-to-text should expect).
    merchants: tuple[str, ...] = ()
    #: What speech-to-text or OCR made of the original, with models and confidence.
    provenance: Provenance | None = None
    #: A receipt's fields for the wire, and the OCR reader's own result (fields, text, engine).
    receipt: ReceiptV1 | None = None
    receipt_read: Any | None = None
    #: The photo's caption as read by the text reader (before categories), when it has one.
    caption_understanding: Understanding | None = None
    #: Where a photo's understanding came from: ``"receipt"`` (its total) or ``"caption"`` (the
    #: amount typed with it, completed with the receipt's fields); ``None`` otherwise.
    read_from: str | None = None

    def result_of(self, step: str) -> StepResult | None:
        """Return the result of the step named ``step``, if it was reached."""
        return next((r for r in self.results if r.step == step), None)


@dataclass(frozen=True, slots=True)
class PipelineContext:
    """What steps may know about where the edge runs: time zone, language, base currency."""

    time_zone: str = "America/Sao_Paulo"
    language: str = "pt"
    currency: str = "BRL"

    def today(self, moment: dt.datetime) -> dt.date:
        """Return the calendar date of aware ``moment`` in this edge's time zone."""
        return moment.astimezone(ZoneInfo(self.time_zone)).date()


class Step(Protocol):
    """One pipeline step."""

    name: str

    def able_to_run(self, draft: Draft) -> Able:
        """Return :data:`RUN` if this step applies to ``draft``, else :func:`skip` with the reason."""

    async def run(self, draft: Draft, context: PipelineContext) -> None:
        """Enrich ``draft`` in place; raise to have the failure recorded and the pipeline go on."""


class Pipeline:
    """Run ``steps`` in order over a draft."""

    def __init__(self, steps: Sequence[Step], context: PipelineContext) -> None:
        self.steps = tuple(steps)
        self.context = context

    async def run(self, inbound: InboundMessage) -> Draft:
        """Return the finished draft for ``inbound`` (never raises for a step's failure)."""
        text = inbound.text
        truncated = False
        if text is not None and len(text) > MAX_TEXT_CHARS:
            text, truncated = text[:MAX_TEXT_CHARS], True
        return await self.run_draft(Draft(inbound=inbound, text=text, text_truncated=truncated))

    async def run_draft(self, draft: Draft) -> Draft:
        """Run the steps over ``draft`` and return it (raises only :class:`RetryLater`)."""
        stopped: str | None = None
        for step in self.steps:
            if stopped is not None:
                self._record(draft, StepResult(step.name, Outcome.SKIPPED, f"stopped by {stopped}"))
                continue
            able = step.able_to_run(draft)
            if not able:
                self._record(draft, StepResult(step.name, Outcome.SKIPPED, able.reason))
                continue
            started = time.perf_counter()
            try:
                await step.run(draft, self.context)
            except SkipStep as exc:
                result = StepResult(step.name, Outcome.SKIPPED, str(exc) or None, _since(started))
            except StopPipeline as exc:
                result = StepResult(step.name, Outcome.STOPPED, str(exc) or None, _since(started))
                stopped = step.name
            except RetryLater as exc:
                self._record(draft, StepResult(step.name, Outcome.FAILED, str(exc) or "retry later"))
                raise
            except Exception as exc:  # a broken step must not lose the message
                reason = type(exc).__name__
                draft.failures.append(f"{step.name}: {reason}")
                log.exception("pipeline.step_failed", step=step.name, message_id=draft.inbound.message_id)
                result = StepResult(step.name, Outcome.FAILED, reason, _since(started))
            else:
                result = StepResult(step.name, Outcome.RAN, None, _since(started))
            self._record(draft, result)
        return draft

    @staticmethod
    def _record(draft: Draft, result: StepResult) -> None:
        draft.results.append(result)
        log.debug(
            "pipeline.step",
            step=result.step,
            outcome=result.outcome.value,
            reason=result.reason,
            seconds=round(result.seconds, 4),
            message_id=draft.inbound.message_id,
        )


def _since(started: float) -> float:
    return time.perf_counter() - started


_T = TypeVar("_T")
_reader: ThreadPoolExecutor | None = None
_reader_lock = threading.Lock()


def _reader_thread() -> ThreadPoolExecutor:
    global _reader  # noqa: PLW0603 - one reader thread per process, made on first use
    with _reader_lock:
        if _reader is None:
            _reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="financy-reader")
        return _reader


async def off_loop(func: Callable[..., _T], /, *args: Any, **kwargs: Any) -> _T:
    """Run CPU-bound ``func(*args, **kwargs)`` in the process's one reader thread and return its result.

    The readers (spaCy, lingua, ONNX Runtime, Whisper, OCR) hold the GIL for most of their work, so
    more threads would only take turns with each other and with the event loop; one thread keeps
    them in a queue and leaves the loop free to serve requests between them. It also keeps
    CTranslate2's and ONNX Runtime's OpenMP pools to one per process: each calling thread gets a
    team of its own, and idle teams spinning in a second worker process halved its throughput
    (media jobs benchmark, 2 workers: 0.36-0.49 jobs/s from the default pool's threads, against
    0.64-0.69 when one thread calls them).
    """
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_reader_thread(), functools.partial(func, *args, **kwargs))
