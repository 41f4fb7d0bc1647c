"""Complaint steps recorded before the timeline rendered them: the step code gets its app's prefix,
and the stored sentence (English or Chinese, whichever page took the step) is dropped where it was
generated, so the step renders in the reader's language. What a clerk wrote (a note, an appeal's
reason) stays as the event's message; a sentence not recognised stays too and shows under the step."""

from django.db import migrations

# Step -> the generated sentences, as (exact texts, prefixes), in English and in Chinese.
GENERATED = {
    "file": ((), ("Complaint filed: ", "已登记投诉：")),
    "acknowledge": (("Complaint acknowledged.", "已确认受理投诉。"), ()),
    "contact": ((), ()),
    "investigate": ((), ("Investigation recorded: ", "已记录调查：")),
    "respond": ((), ("Answer sent; remedy: ", "已发送答复；补救措施：")),
    "close": (
        (
            "Customer accepted the answer.",
            "客户接受答复。",
            "Closed without the customer's acceptance.",
            "客户未接受答复，已关闭。",
        ),
        (),
    ),
    "reopen": ((), ()),
    "link": ((), ("Related case linked: ", "已关联案件：")),
    "unlink": ((), ("Related case unlinked: ", "已取消关联案件：")),
}
APPEAL_PREFIXES = ("Appeal: ", "申诉：")


def clerks_words(step: str, message: str) -> str:
    """The part of an old step's message a person wrote ("" when the whole sentence was generated)."""
    texts, prefixes = GENERATED[step]
    if message in texts or message.startswith(prefixes):
        return ""
    if step == "reopen":
        for prefix in APPEAL_PREFIXES:
            if message.startswith(prefix):
                return message[len(prefix) :]
    return message


def to_codes(apps, schema_editor):
    TicketEvent = apps.get_model("tickets", "TicketEvent")
    changed = []
    for event in TicketEvent.objects.filter(data__step__in=list(GENERATED)).iterator(chunk_size=2000):
        step = event.data["step"]
        event.message = clerks_words(step, event.message)
        event.data = {**event.data, "step": f"complaints.{step}"}
        changed.append(event)
        if len(changed) >= 2000:
            TicketEvent.objects.bulk_update(changed, ["message", "data"])
            changed = []
    TicketEvent.objects.bulk_update(changed, ["message", "data"])


def to_plain_steps(apps, schema_editor):
    """Back to the unprefixed codes; the dropped sentences are not written again."""
    TicketEvent = apps.get_model("tickets", "TicketEvent")
    codes = [f"complaints.{step}" for step in GENERATED]
    for event in TicketEvent.objects.filter(data__step__in=codes):
        event.data = {**event.data, "step": event.data["step"].removeprefix("complaints.")}
        event.save(update_fields=["data"])


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0001_initial"),
        ("tickets", "0006_routing"),
    ]

    operations = [migrations.RunPython(to_codes, to_plain_steps)]
