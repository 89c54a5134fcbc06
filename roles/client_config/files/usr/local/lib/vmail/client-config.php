<?php
// Mail client settings (roles/client_config) for one address of our domains.
// nginx names the document (VMAIL_DOCUMENT), its media type and our domains;
// the address comes from ?emailaddress= (Thunderbird, Apple profile) or from
// the posted Autodiscover request (Outlook). An address of any other domain,
// or a malformed one, gets 404: never the settings of a domain we do not
// serve, which a client would otherwise try its password against.

function not_found(): void
{
    http_response_code(404);
    header('Content-Type: text/plain; charset=utf-8');
    echo "Not found\n";
    exit;
}

// Outlook POSTs <Autodiscover><Request><EMailAddress>; entity expansion and
// network access stay off (PHP 8 loads no external entities).
function posted_address(): string
{
    $body = file_get_contents('php://input', false, null, 0, 65536);
    if ($body === false || $body === '') {
        return '';
    }
    $previous = libxml_use_internal_errors(true);
    $request = simplexml_load_string($body, 'SimpleXMLElement', LIBXML_NONET);
    libxml_use_internal_errors($previous);
    if ($request === false) {
        return '';
    }
    $found = $request->xpath('//*[local-name()="EMailAddress"]');
    return $found ? trim((string) $found[0]) : '';
}

$address = $_SERVER['REQUEST_METHOD'] === 'POST' ? posted_address() : trim((string) ($_GET['emailaddress'] ?? ''));
if ($address === '') {
    if ($_SERVER['VMAIL_ADDRESS_REQUIRED'] === 'yes') {
        not_found();
    }
} else {
    $domains = explode(' ', strtolower($_SERVER['VMAIL_DOMAINS']));
    $domain = strtolower(substr((string) strrchr($address, '@'), 1));
    if (filter_var($address, FILTER_VALIDATE_EMAIL) === false || !in_array($domain, $domains, true)) {
        not_found();
    }
}

$document = file_get_contents($_SERVER['VMAIL_DOCUMENT']);
if ($document === false) {
    not_found();
}
if ($address !== '') {
    $document = str_replace('%EMAILADDRESS%', htmlspecialchars($address, ENT_XML1 | ENT_QUOTES, 'UTF-8'), $document);
}
header('Content-Type: ' . $_SERVER['VMAIL_CONTENT_TYPE']);
if ($_SERVER['VMAIL_ATTACHMENT'] !== '') {
    header('Content-Disposition: attachment; filename="' . $_SERVER['VMAIL_ATTACHMENT'] . '"');
}
header('Cache-Control: no-store');
echo $document;
