/* The score-sheet check streams its progress as small nonce-carrying calls of these two functions. */
(function () {
  "use strict";
  window.cchcProgress = function (done, total) {
    document.getElementById("tien-do-dem").textContent = total > done ? done + "/" + total : String(done);
    var bar = document.getElementById("tien-do-thanh");
    bar.max = Math.max(total, done, 1);
    bar.value = done;
  };
  window.cchcDone = function () {
    document.getElementById("tien-do-chu").textContent = "Đã kiểm tra xong toàn bộ tệp.";
    document.getElementById("tien-do-thanh").hidden = true;  // done: the words say so, the bar would linger
  };
})();
