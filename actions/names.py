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

# Intents the NLU's safety triage sets (components/safety_triage.py): their rules answer with
# the crisis or urgent-care response first, never a topic answer's one-line note.
CRISIS_INTENT = "crisis"
EMERGENCY_INTENT = "emergency"
SAFETY_INTENTS = (CRISIS_INTENT, EMERGENCY_INTENT)
# ... and this one for safety rule 4: "has it spread?" gets how spread is found, never a verdict.
REQUEST_DIAGNOSIS_INTENT = "request_diagnosis"
SITE_TOPICS = frozenset({"site_symptoms", "tests", "treatment"})
