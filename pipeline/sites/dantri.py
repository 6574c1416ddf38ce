"""Dân trí (dantri.com.vn) article pages.

Why: with the pipeline's options (favor_precision) trafilatura kept 20 % of the words of one
recorded page (a photo story, its text in captions) and 67 % of another (a list of ten players,
one figure each); on the other 16 recorded pages its word F1 is 0.95–1.00. This parser: word
recall 1.00 on 16 of 18 pages, 0.91 and 0.93 on two (text outside the container), the same as
trafilatura there. The reference texts are derived from each page's own article container
(../shared/corpus MANIFEST), so they are not independent of this parser. Figures from
``scripts/generate_source_fixtures.py --compare``.

Structure (2022 desktop template): ``h2.singular-sapo`` lead, ``div.singular-content`` body with
``p`` paragraphs and ``h2``/``h3`` section heads. Photo stories have no paragraphs: their text is
in ``figure > figcaption`` (the 20 % page above is one), which is then used instead.
"""

LEAD = "//h2[contains(concat(' ', normalize-space(@class), ' '), ' singular-sapo ')]"
BODY = "//div[contains(concat(' ', normalize-space(@class), ' '), ' singular-content ')]"
BLOCKS = "./p | ./h2 | ./h3 | ./div/p"
CAPTIONS = "./figure//figcaption"
SKIP = ("author-wrap", "ads", "news-tags")
