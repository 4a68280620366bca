"""How the reflow test measures a page: its width, what is cut off, and what scrolls unreachably.

WCAG 2.2 AA 1.4.10 (reflow at 320 CSS pixels), 1.4.12 (text spacing) and 1.4.4 (200 % text);
used by tests/e2e/test_reflow.py; the pages it opens are listed in tests/e2e/reflow_pages.py.
"""

from dataclasses import dataclass

PHONE = {"width": 320, "height": 640}
DESKTOP = {"width": 1280, "height": 800}

# The WCAG 1.4.12 text-spacing bookmarklet (Steve Faulkner's), as one style sheet.
TEXT_SPACING = (
    "* { line-height: 1.5 !important; letter-spacing: 0.12em !important; word-spacing: 0.16em !important; }"
    " p { margin-bottom: 2em !important; }"
)
# Text-only zoom as the browser does it: a default font size of 32px instead of 16px, so text
# sized in rem and media queries in em respond as they would for the person.
TEXT_AT_100, TEXT_AT_200 = ({"standard": 16, "fixed": 13}, {"standard": 32, "fixed": 26})

# Applied through the CSS object model: the content security policy forbids inline <style>.
APPLY_STYLES = """css => {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    document.adoptedStyleSheets = [sheet];
}"""

PAGE_WIDTH = "() => document.documentElement.scrollWidth"

# What sticks out past the right edge of the viewport (not inside a box that scrolls or clips)
# while its parent does not: the elements that make the page wider.
STICKING_OUT = """() => {
    const out = el => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1;
    const contained = el => {
        for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
            if (getComputedStyle(up).overflowX !== 'visible') return true;
        }
        return false;
    };
    return Array.from(document.body.querySelectorAll('*'))
        .filter(el => out(el) && !contained(el) && !out(el.parentElement))
        .slice(0, 3)
        .map(el => `<${el.tagName.toLowerCase()} class="${el.className}"> "${(el.innerText || '').trim().slice(0, 40)}"`
            + ` ends at ${Math.round(el.getBoundingClientRect().right)}px`);
}"""

# Elements that hide their overflow and cut content off; and scrolling boxes the keyboard
# cannot reach or that have no name. Visually hidden helpers (1 x 1 pixel, clipped on purpose)
# and anything not rendered are left out. A one-line text field (<input>, which Chromium always
# clips) is a scrolling box of its own: its text moves with the caret, so a value longer than the
# field is reached by typing in it; it must be focusable and labelled like any other.
FAULTS = """() => {
    const describe = el => {
        const text = (el.innerText || el.value || '').trim().replace(/\\s+/g, ' ').slice(0, 60);
        const classes = typeof el.className === 'string' && el.className.trim()
            ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
        return `<${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${classes}> "${text}"`;
    };
    const visuallyHidden = el =>
        el.closest('.govuk-visually-hidden, .govuk-visually-hidden-focusable, .govuk-skip-link')
        || (el.offsetWidth <= 1 && el.offsetHeight <= 1);
    const named = el =>
        (el.getAttribute('aria-label') || '').trim()
        || (el.getAttribute('aria-labelledby') || '').split(/\\s+/).some(id => {
            const label = id && document.getElementById(id);
            return label && label.textContent.trim();
        })
        || (el.labels && el.labels.length);
    const clipped = [], unreachable = [];
    for (const el of document.body.querySelectorAll('*')) {
        if (el.getClientRects().length === 0) continue;  // display: none, or inside it
        const style = getComputedStyle(el);
        const wide = el.scrollWidth > el.clientWidth + 1, tall = el.scrollHeight > el.clientHeight + 1;
        const hides = value => value === 'hidden' || value === 'clip';
        const scrolls = value => value === 'auto' || value === 'scroll';
        const textField = el.tagName === 'INPUT';
        if (((hides(style.overflowX) && wide) || (hides(style.overflowY) && tall)) && !visuallyHidden(el)
            && !textField) {
            clipped.push(`${describe(el)} shows ${el.clientWidth}x${el.clientHeight}`
                + ` of ${el.scrollWidth}x${el.scrollHeight}`);
        }
        if ((scrolls(style.overflowX) && wide) || (scrolls(style.overflowY) && tall) || (textField && wide)) {
            if (el.tabIndex < 0 || !named(el)) {
                unreachable.push(`${describe(el)} scrolls (${el.scrollWidth}px in ${el.clientWidth}px) but `
                    + (el.tabIndex < 0 ? 'is not keyboard focusable' : 'has no accessible name'));
            }
        }
    }
    return {clipped, unreachable};
}"""


@dataclass
class Findings:
    widths: dict
    faults: list

    def check(self, page, who: str, label: str):
        """Measure the page now open in every way this test knows; remember what is wrong."""
        where = f"{label} ({who}, /{page.url.split('/', 3)[-1]})"
        browser_settings = page.context.new_cdp_session(page)
        for how, css, font_sizes, viewport in (
            ("", "", TEXT_AT_100, PHONE),
            (", text spacing", TEXT_SPACING, TEXT_AT_100, PHONE),
            (", 200% text", "", TEXT_AT_200, DESKTOP),
        ):
            page.set_viewport_size(viewport)
            page.evaluate(APPLY_STYLES, css)
            browser_settings.send("Page.setFontSizes", {"fontSizes": font_sizes})
            width = page.evaluate(PAGE_WIDTH)
            if not how:
                self.widths[where] = width
                self.axe(page, where)
            if width > viewport["width"]:
                culprits = "; ".join(page.evaluate(STICKING_OUT))
                self.faults.append(f"{where}{how}: {width}px wide in a {viewport['width']}px viewport: {culprits}")
            found = page.evaluate(FAULTS)
            self.faults += [f"{where}{how}: cut off: {c}" for c in found["clipped"]]
            self.faults += [f"{where}{how}: {u}" for u in found["unreachable"]]
        browser_settings.send("Page.setFontSizes", {"fontSizes": TEXT_AT_100})
        browser_settings.detach()
        page.set_viewport_size(PHONE)

    def axe(self, page, where):
        from axe_playwright_python.sync_playwright import Axe

        results = Axe().run(page)
        for violation in results.response["violations"]:
            targets = "; ".join(", ".join(map(str, n["target"])) for n in violation["nodes"])
            self.faults.append(f"{where}: axe {violation['id']}: {violation['help']} at {targets}")
