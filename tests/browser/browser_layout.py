"""Measurements of a loaded page, in the browser: what overflows, what is clipped, what breaks.

Each function is JavaScript run with ``page.evaluate``; each returns a list of problems, one
readable line each, so a test can print them all.
"""

from __future__ import annotations

# Elements whose content is wider than their box. A box that scrolls on purpose (overflow-x
# auto/scroll: tables on a phone, code blocks) is no problem as long as the page itself does not
# scroll sideways; any other wider content spills out or is cut off.
OVERFLOW_JS = """() => {
    const problems = [];
    const root = document.documentElement;
    if (root.scrollWidth > window.innerWidth + 1)
        problems.push(`the page scrolls sideways: ${root.scrollWidth} px in a ${window.innerWidth} px window`);
    const describe = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
        + (el.className && typeof el.className === 'string'
           ? '.' + el.className.trim().split(/\\s+/).slice(0, 2).join('.') : '')
        + ` "${(el.innerText || '').trim().slice(0, 50)}"`;
    for (const el of document.querySelectorAll('.bd-main *, .bd-header *')) {
        if (!el.checkVisibility() || el.clientWidth === 0) continue;
        const style = getComputedStyle(el);
        if (style.display === 'inline' || ['auto', 'scroll'].includes(style.overflowX)) continue;
        if (el.closest('pre, .MathJax, math, svg')) continue;
        if (el.scrollWidth > el.clientWidth + 1)
            problems.push(`${describe(el)}: content ${el.scrollWidth} px in a ${el.clientWidth} px box`);
    }
    return problems;
}"""

# Headings that do not show their whole text: wider than their box, or cut by an ancestor.
CLIPPED_HEADINGS_JS = """() => {
    const problems = [];
    for (const el of document.querySelectorAll(
            'main :is(h1, h2, h3, h4), .bd-toc-nav a, .prev-next-title, .bd-links a')) {
        if (!el.checkVisibility()) continue;
        if (el.scrollWidth > el.clientWidth + 1)
            problems.push(`"${el.innerText.trim()}": ${el.scrollWidth} px of text in ${el.clientWidth} px`);
        const box = el.getBoundingClientRect();
        for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
            const style = getComputedStyle(up);
            if (style.overflowX === 'visible') continue;
            const frame = up.getBoundingClientRect();
            if (box.right > frame.right + 1 && up.scrollWidth <= up.clientWidth + 1)
                problems.push(`"${el.innerText.trim()}" is cut off by ${up.tagName.toLowerCase()}.${up.className}`);
            break;
        }
    }
    return problems;
}"""

# A token of inline code (no spaces inside) that the browser laid out on two lines, and a
# Latin word of a heading or table header broken inside (after a dot is fine; Chinese text
# may break between any two characters).
BROKEN_TOKENS_JS = r"""() => {
    const problems = [];
    const lines = range => new Set(Array.from(range.getClientRects())
        .filter(r => r.width > 0).map(r => Math.round(r.top))).size;
    const check = (el, what) => {
        const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
        const texts = [];
        while (walker.nextNode()) texts.push(walker.currentNode);
        for (const text of texts) {
            const words = text.data.matchAll(/[A-Za-z0-9_]+\.?/g);
            for (const word of words) {
                if (word[0].length < 2) continue;
                const range = document.createRange();
                range.setStart(text, word.index);
                range.setEnd(text, word.index + word[0].length);
                if (lines(range) > 1) problems.push(`${what} "${word[0]}" is broken across lines`);
            }
        }
    };
    // Inline code, in prose and in tables: a token stays on one line, except that a dotted
    // name may wrap after one of its dots (torch_npu.optim. | NpuFusedRMSprop); a code span
    // of several tokens may wrap at its spaces.
    const pieces = /\S+?(?:[A-Za-z_)\]]\.(?=[A-Za-z_(])|(?=\s)|$)/g;
    document.querySelectorAll('main code').forEach(el => {
        if (!el.checkVisibility() || el.closest('pre')) return;
        const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
        while (walker.nextNode()) {
            const text = walker.currentNode;
            for (const piece of text.data.matchAll(pieces)) {
                if (!piece[0]) continue;
                const range = document.createRange();
                range.setStart(text, piece.index);
                range.setEnd(text, piece.index + piece[0].length);
                if (lines(range) > 1) problems.push(`code "${piece[0]}" is broken across lines`);
            }
        }
    });
    document.querySelectorAll('main :is(h1, h2, h3, h4), main th').forEach(el => {
        if (el.checkVisibility()) check(el, el.tagName.toLowerCase());
    });
    return problems;
}"""

# Gallery cards: every visible piece of a card inside the card, and no two captions overlapping.
GALLERY_CARDS_JS = """() => {
    const problems = [];
    const cards = Array.from(document.querySelectorAll('.sphx-glr-thumbcontainer'));
    const captions = [];
    for (const card of cards) {
        const frame = card.getBoundingClientRect();
        for (const el of card.querySelectorAll('*')) {
            if (!el.checkVisibility() || !(el.innerText || '').trim()) continue;
            const r = el.getBoundingClientRect();
            if (r.width === 0 || r.height === 0) continue;
            if (r.left < frame.left - 1 || r.right > frame.right + 1 || r.bottom > frame.bottom + 1)
                problems.push(`"${el.innerText.trim()}" sticks out of its card`);
            captions.push({text: el.innerText.trim(), r, card});
        }
    }
    for (let i = 0; i < captions.length; i++)
        for (let j = i + 1; j < captions.length; j++) {
            const a = captions[i], b = captions[j];
            if (a.card === b.card) continue;
            if (a.r.left < b.r.right - 1 && b.r.left < a.r.right - 1
                && a.r.top < b.r.bottom - 1 && b.r.top < a.r.bottom - 1)
                problems.push(`"${a.text}" overlaps "${b.text}"`);
        }
    if (!cards.length) problems.push('no gallery card on the page');
    return problems;
}"""
