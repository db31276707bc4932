"""QuestionFocus: a long post is featurised by its question sentences; nothing else changes."""

from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.question_focus import QuestionFocus

STORY = ("Diagnosed with lung cancer in March after a cough that would not shift, and the team "
         "started treatment straight away. I felt completely fine until January, walking the dog "
         "every day and working full time, and nobody in the family had any idea at all. ")


def tokenized(text):
    message = Message.build(text)
    WhitespaceTokenizer(WhitespaceTokenizer.get_default_config()).process([message])
    return message


def words(message):
    return [t.text for t in message.get(TOKENS_NAMES["text"])]


def test_a_long_post_keeps_only_its_question_tokens():
    message = tokenized(STORY + STORY + "Can cells leave the tumour really early on?")
    QuestionFocus().process([message])
    assert words(message) == ["Can", "cells", "leave", "the", "tumour", "really", "early", "on"]
    assert message.get("text").startswith("Diagnosed"), "the text itself is untouched"


def test_short_messages_and_posts_without_a_question_are_left_whole():
    for text in ("can cells leave the tumour early?", STORY + STORY):
        message = tokenized(text)
        before = words(message)
        QuestionFocus().process([message])
        assert words(message) == before


def test_training_examples_are_read_the_same_way():
    message = tokenized(STORY + STORY + "How early can it spread?")
    QuestionFocus().process_training_data(TrainingData([message]))
    assert words(message) == ["How", "early", "can", "it", "spread"]
