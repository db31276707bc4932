"""Slot, entity and topic names shared by actions, domain checks and tests (typed once)."""

SLOT_CANCER = "cancer_type"
SLOT_SITE = "body_site"
SLOT_SYMPTOMS = "symptom"
SLOT_TEST = "diagnostic_test"
SLOT_TREATMENT = "treatment"
SLOT_LAST_TOPIC = "last_topic"
# "Forget me": the tracker store deletes a conversation that carries this slot set to true
# (addons/tracker_store.py reads the same name, FORGET_SLOT).
SLOT_FORGET = "forget_conversation"
# The "More about this" quick reply sends its topic's intent with {"detail": "all"}.
ENTITY_DETAIL = "detail"
DETAIL_ALL = "all"

# What an answer action leaves for its response to render (see domain.yml, utter_answer_*).
SLOT_CASE = "answer_case"
SLOT_SUBJECT = "answer_subject"
SLOT_ANSWER_CANCER = "answer_cancer"
SLOT_ANSWER_SITE = "answer_site"
SLOT_BODY = "answer_body"
SLOT_NOTE = "answer_note"
SLOT_SOURCES = "answer_sources"
SLOT_IMAGE = "answer_image"  # only the web widget's (socketio) variations render these two
SLOT_IMAGE_ALT = "answer_image_alt"
ANSWER_SLOTS = (
    SLOT_CASE, SLOT_SUBJECT, SLOT_ANSWER_CANCER, SLOT_ANSWER_SITE, SLOT_BODY, SLOT_NOTE, SLOT_SOURCES,
    SLOT_IMAGE, SLOT_IMAGE_ALT,
)

# Topics: what the last answer was about, so "and the liver?" repeats it for the liver.
TOPICS = (
    "definition", "spread", "site_symptoms", "symptom_sites", "tests", "treatment",
    "prognosis", "statistics", "risk_factors", "unknown_primary", "naming", "timing",
    "mechanism", "coping",
)
# Intents the NLU's safety triage sets (components/safety_triage.py): their rules answer with
# the crisis or urgent-care response first, never a topic answer's one-line note.
CRISIS_INTENT = "crisis"
EMERGENCY_INTENT = "emergency"
SAFETY_INTENTS = (CRISIS_INTENT, EMERGENCY_INTENT)
# ... and this one for safety rule 4: "has it spread?" gets how spread is found, never a verdict.
REQUEST_DIAGNOSIS_INTENT = "request_diagnosis"
SITE_TOPICS = frozenset({"site_symptoms", "tests", "treatment"})
