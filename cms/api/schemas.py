"""Request and response bodies of the JSON API.

Request bodies forbid unknown keys (``extra="forbid"``): a key the server would not use
is refused with a 400 naming it, never dropped silently.
"""

from datetime import date, datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import ConfigDict, Field, StrictBool, field_validator


class StrictInput(Schema):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul_characters(cls, value):
        # No text field of ours may hold NUL; PostgreSQL cannot even compare against one.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("NUL character")
        return value


class ErrorOut(Schema):
    errors: dict[str, list[str]] = Field(
        description='Messages per field; "__all__" holds messages about the request as a whole.'
    )


class InvalidCodeOut(ErrorOut):
    attempts_left: int = Field(default=0, ge=0, description="Present when the code was wrong.")


class ChallengeGoneOut(ErrorOut):
    reason: str = Field(default="", description='"expired", "locked" or "used".')


class ProofRequiredOut(ErrorOut):
    pow: dict = Field(
        description=(
            "An ALTCHA PoW v2 challenge (parameters and signature). Solve it (any ALTCHA solver: "
            "find the counter whose derived key starts with parameters.keyPrefix) and send the "
            "same request again with pow = base64 of the JSON {challenge, solution}."
        )
    )
    retry_after: int = Field(ge=0, description="Seconds after which no proof is needed any more.")


# --- Forms -----------------------------------------------------------------------------------


class PurposeOut(Schema):
    code: str
    name: str
    clause: str = Field(description="The privacy-policy clause that allows this collection.")
    retention_days: int | None = None


class ChoiceOut(Schema):
    value: str
    label: str


class FieldOut(Schema):
    name: str = Field(description="The key to use in a submission's data.")
    label: str
    type: str
    required: bool
    choices: list[ChoiceOut]
    help_text: str
    personal: bool = Field(description="Personal information governed by the purpose whitelist.")
    sensitive: bool = Field(description="Encrypted at rest and masked wherever shown.")
    max_length: int | None = None


class PolicyOut(Schema):
    version: str
    title: str
    url: str


class FormOut(Schema):
    page_id: int
    title: str
    purpose: PurposeOut
    sms_required: bool = Field(description="A verification_token for the mobile is required.")
    minors_check: bool = Field(description="The form asks for a birth date; under 18 needs guardian_consent.")
    fields: list[FieldOut]
    policy: PolicyOut | None = Field(description="The privacy-policy version a submission is made under.")
    submit_url: str


class SourceIn(StrictInput):
    utm_source: str | None = Field(default=None, max_length=100)
    utm_medium: str | None = Field(default=None, max_length=100)
    utm_campaign: str | None = Field(default=None, max_length=100)
    referrer: str | None = Field(default=None, max_length=255, description="The referring site's host.")


class ConflictOut(ErrorOut):
    reason: str = Field(description="not_open, closed or duplicate (this mobile has signed up already).")


class SubmissionIn(StrictInput):
    data: dict[str, Any] = Field(description="Answers keyed by field name, as listed by the form.")
    consent: StrictBool = Field(description="The visitor agreed to the current privacy policy.")
    verification_token: str | None = Field(
        default=None, max_length=512, description="From a verified SMS challenge of the form's purpose."
    )
    guardian_consent: StrictBool = Field(
        default=False, description="A guardian agreed, for a visitor under 18."
    )
    source: SourceIn | None = Field(
        default=None, description="Where the visitor came from (UTM tags, referring host); not personal."
    )


class SubmissionOut(Schema):
    submission_id: str


# --- SMS -------------------------------------------------------------------------------------


class ChallengeIn(StrictInput):
    mobile: str = Field(max_length=32, description="A mainland China mobile number.")
    purpose: str = Field(max_length=64, description="The purpose code of the form (or rights_request).")
    page_id: int | None = Field(
        default=None,
        ge=1,
        le=2**63 - 1,
        description="The campaign page asking: outside its opening window no code is sent (409).",
    )
    pow: str | None = Field(
        default=None,
        max_length=4096,
        description="A solved proof-of-work, only when a 428 answer asked for one.",
    )


class ChallengeOut(Schema):
    challenge_id: str
    expires_in: int = Field(ge=0, description="Seconds until the code expires.")
    resend_after: int = Field(ge=0, description="Seconds before another code may be requested.")


class VerifyIn(StrictInput):
    code: str = Field(max_length=12)


class VerifyOut(Schema):
    verification_token: str


# --- Rights requests -------------------------------------------------------------------------


class RightsRequestIn(StrictInput):
    request_type: str = Field(
        max_length=32,
        description="access, copy, transfer, correct, withdraw_consent, delete, deregister, "
        "posthumous or complaint.",
    )
    mobile: str = Field(default="", max_length=32, description="Required: it is verified by SMS.")
    email: str = Field(default="", max_length=254)
    details: str = Field(default="", max_length=5000)
    verification_token: str | None = Field(
        default=None,
        max_length=512,
        description="From a verified SMS challenge of purpose rights_request to the same mobile; "
        "verifies the request at once (next-of-kin requests are verified by staff).",
    )
    relationship: str | None = Field(
        default=None, max_length=100, description="Next of kin only: relationship to the deceased."
    )


class RightsRequestVerifyIn(StrictInput):
    verification_token: str = Field(max_length=512)


class RightsRequestCreatedOut(Schema):
    reference: str
    state: str
    due_at: date = Field(description="The reply is due by the end of this day (Asia/Shanghai).")
    status_token: str = Field(
        description="Secret needed to read the request's status (Authorization: Bearer <token>)."
    )
    withheld_messages: list[str] = Field(
        default_factory=list,
        description=(
            '"sms" and/or "email": the receipt SMS or the e-mail confirmation link was not sent '
            "because that number or address received too many messages recently. The request is "
            "filed all the same."
        ),
    )
    notices: list[str] = Field(default_factory=list, description="What to tell the requester about them.")


class RightsRequestAnswerOut(Schema):
    answered_at: datetime
    outcome: str
    ground: str | None
    response: str
    fee_amount: str | None
    how_to_complain: str | None


class RightsRequestIdentifiersOut(Schema):
    mobile: Literal["proven", "unproven"] | None = Field(
        None, description="Whether the mobile is proven to be the requester's (SMS code or staff check)."
    )
    email: Literal["proven", "unproven"] | None = Field(
        None,
        description="Whether the e-mail is proven (link sent to it, or staff check); unproven finds nothing.",
    )


class RightsRequestPackageOut(Schema):
    url: str
    xlsx_url: str
    record_count: int
    sha256: str
    expires_at: datetime
    sensitive_masked: bool


class RightsRequestStatusOut(Schema):
    reference: str
    request_type: str
    request_type_label: str
    state: str
    state_label: str
    received_at: datetime
    due_at: date
    extended: bool
    extension_reason: str | None
    closure_reason: str | None
    identifiers: RightsRequestIdentifiersOut
    answer: RightsRequestAnswerOut | None
    package: RightsRequestPackageOut | None = Field(
        None, description="The requester's copy of their data, once a package has been released."
    )
