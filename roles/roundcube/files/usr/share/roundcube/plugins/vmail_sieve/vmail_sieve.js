/* vmail_sieve: the ManageSieve server's errors, written above the raw editor. */
window.rcmail && rcmail.addEventListener('init', function () {
  var errors = rcmail.env.sieve_errors || [],
    form = document.getElementById('filtersetrawform');
  if (!errors.length || !form) {
    return;
  }
  var box = document.createElement('div');
  box.className = 'vmail-sieve-errors alert alert-danger';
  box.setAttribute('role', 'alert');
  errors.forEach(function (err) {
    var line = document.createElement('p');
    line.textContent = rcmail.gettext('line', 'vmail_sieve').replace('$line', err.line)
      + (err.msg ? ': ' + err.msg.trim() : '');
    box.appendChild(line);
  });
  form.parentNode.insertBefore(box, form);
});
