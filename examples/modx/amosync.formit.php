<?php
/**
 * amosync hook for FormIt: posts the submitted fields to amosync's form intake
 * (POST /v1/forms/{form}). Use it as the last hook, after validation:
 *   [[!FormIt? &hooks=`amosync,email` &amosyncForm=`callback` ...]]
 * System settings as for the plugin: amosync_url, amosync_token, amosync_timeout.
 * It always returns true: the visitor's form is never refused because amosync is away; a failure
 * is written to MODX's error log.
 *
 * @var modX $modx
 * @var fiHook $hook
 * @var array $scriptProperties
 */
$form = isset($scriptProperties['amosyncForm']) && $scriptProperties['amosyncForm'] !== '' ? $scriptProperties['amosyncForm'] : 'callback';
$values = $hook->getValues();
unset($values['nospam'], $values['submit']);
foreach (array('utm_source', 'utm_medium', 'utm_campaign', 'utm_content', 'utm_term', '_ga', '_ym_uid', 'roistat_visit') as $cookie) {
    if (isset($_COOKIE[$cookie]) && is_string($_COOKIE[$cookie]) && !isset($values[$cookie])) {
        $values[$cookie] = $_COOKIE[$cookie];
    }
}
$values['page'] = isset($modx->resource) && $modx->resource ? $modx->makeUrl($modx->resource->get('id'), '', '', 'full') : '';

$url = rtrim((string) $modx->getOption('amosync_url', null, 'http://127.0.0.1:8080'), '/') . '/v1/forms/' . rawurlencode($form);
$timeout = (float) $modx->getOption('amosync_timeout', null, 3);
$previous = ini_set('default_socket_timeout', (string) $timeout);
$context = stream_context_create(array('http' => array(
    'method' => 'POST',
    'header' => "Content-Type: application/json\r\nAuthorization: Bearer " . $modx->getOption('amosync_token') . "\r\n",
    'content' => json_encode($values, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES),
    'timeout' => $timeout,
    'ignore_errors' => true,
)));
$answer = @file_get_contents($url, false, $context);
ini_set('default_socket_timeout', $previous);
$code = isset($http_response_header[0]) && preg_match('#^HTTP/\S+ (\d{3})#', $http_response_header[0], $m) ? (int) $m[1] : 0;
if ($code < 200 || $code >= 300) {
    $error = error_get_last();
    $modx->log(modX::LOG_LEVEL_ERROR, sprintf(
        '[amosync] form %s was not accepted by %s: %s', $form, $url,
        $code ? "HTTP $code " . substr((string) $answer, 0, 300) : ($error ? $error['message'] : 'no answer within ' . $timeout . ' s')
    ));
}
return true;
