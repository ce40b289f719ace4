// Only in `rulepress gallery --serve`: reload the page when the site is rebuilt.
'use strict';
(function () {
  let seen = null;
  const check = async () => {
    try {
      const answer = await fetch('/__gallery/version', { cache: 'no-store' });
      const version = await answer.text();
      if (seen !== null && version !== seen) location.reload();
      seen = version;
    } catch (err) { /* the server restarts: try again */ }
    setTimeout(check, 700);
  };
  check();
})();
