/* optbridge's search ranking, inlined into language_data.js by `html_search_scorer` (conf.py).
 *
 * The site exists for its mapping pages: a query that matches one lists it before the API
 * reference, the guides and the framework indexes. Sphinx's own weights are kept as they are.
 */
var Scorer = {
  objNameMatch: 11,
  objPartialMatch: 6,
  objPrio: { 0: 15, 1: 5, 2: -5 },
  objPrioDefault: 0,
  title: 15,
  partialTitle: 7,
  term: 5,
  partialTerm: 2,
  // migration/<framework>/<page>: a mapping page; migration/.../index: the lists of them.
  score: (result) => {
    const [docname, , , , score] = result;
    if (!docname.startsWith("migration/")) return score;
    return score + (docname.endsWith("index") ? 20 : 50);
  },
};

/* The Chinese index keeps a Latin word whole when stemming would cut it below three letters
 * (sphinx.search.zh: `eps` is indexed as `eps`, not `ep`), but the page's English stemmer cuts
 * the query all the same, so `eps` found nothing. Stem queries by the indexer's rule. */
if (document.documentElement.lang.toLowerCase().startsWith("zh") && window.Stemmer) {
  const IndexStemmer = window.Stemmer;
  window.Stemmer = class {
    constructor() { this.stemmer = new IndexStemmer(); }
    stemWord(word) {
      const stemmed = this.stemmer.stemWord(word);
      return word.length >= 3 && stemmed.length < 3 ? word : stemmed;
    }
  };
}
