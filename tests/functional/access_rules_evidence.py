"""Expected outcomes of the attached-file pages for the URL walker (test_access_every_url.py).

The walker's disagreement has a PDF attached by its raiser. Attaching is for the people who
may record a discussion at the current stage (403 for others who see the case); downloading is
for everyone who sees the case, and 404 for everyone else, as for the case itself.
"""

from tests.functional.test_access_every_url import outcome

EXPECTED = {
    "escalation:attach": outcome({"practitioner", "other_practitioner"}),
    "escalation:attachment": outcome({"practitioner", "other_practitioner", "business_manager", "chair", "auditor"}),
}
