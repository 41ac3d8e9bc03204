<?php
/**
 * amosync for MODX Revolution + miniShop2: posts every new order, and every later status change,
 * to amosync's order intake (POST /v1/orders). Events: msOnCreateOrder, msOnChangeOrderStatus.
 *
 * System settings: amosync_url (e.g. http://127.0.0.1:8080), amosync_token (the intake token),
 * amosync_timeout (seconds, default 3). Checkout never waits longer than the timeout; a failure
 * is written to MODX's error log and the order is not affected.
 *
 * @var modX $modx
 * @var msOrder $msOrder (msOnCreateOrder)
 * @var msOrder $order (msOnChangeOrderStatus)
 * @var int $status (msOnChangeOrderStatus)
 */
switch ($modx->event->name) {
    case 'msOnCreateOrder':
        $subject = $msOrder;
        // miniShop2 sets the first status (1, "new") right after this event: say so now.
        $statusId = (int) $subject->get('status') ?: 1;
        $withCookies = true;
        break;
    case 'msOnChangeOrderStatus':
        $subject = $order;
        $statusId = (int) $status;
        if ($statusId === 1) {
            return; // the status every new order gets: msOnCreateOrder has sent it
        }
        $withCookies = false; // a manager's cookies say nothing about the customer
        break;
    default:
        return;
}

$address = $subject->getOne('Address');
$profile = $subject->getOne('UserProfile');
$delivery = $subject->getOne('Delivery');
$payment = $subject->getOne('Payment');
$text = function ($object, $key) {
    return $object ? trim((string) $object->get($key)) : '';
};

$items = array();
foreach ($subject->getMany('Products') as $line) {
    $productId = (int) $line->get('product_id');
    $product = $line->getOne('Product');
    // The category chain, nearest first (the site root, 0, is not a category).
    $categories = array_values(array_filter(array_map('intval', $modx->getParentIds($productId, 10)), function ($id) {
        return $id > 0;
    }));
    $items[] = array(
        'id' => (string) $productId,
        'name' => (string) $line->get('name'),
        'sku' => $text($product, 'article'),
        'price' => (float) $line->get('price'),
        'quantity' => (int) $line->get('count'),
        'categories' => $categories,
    );
}

$body = array(
    'id' => (string) ($subject->get('num') ?: $subject->get('id')),
    'customer' => array(
        'name' => $text($address, 'receiver') ?: $text($profile, 'fullname'),
        'phone' => $text($address, 'phone') ?: $text($profile, 'phone'),
        'email' => $text($address, 'email') ?: $text($profile, 'email'),
    ),
    'address' => array(
        'country' => $text($address, 'country'),
        'index' => $text($address, 'index'),
        'region' => $text($address, 'region'),
        'city' => $text($address, 'city'),
        'metro' => $text($address, 'metro'),
        'street' => $text($address, 'street'),
        'building' => $text($address, 'building'),
        'room' => $text($address, 'room'),
    ),
    'items' => $items,
    'delivery' => array('name' => $text($delivery, 'name'), 'cost' => (float) $subject->get('delivery_cost')),
    'payment' => array('name' => $text($payment, 'name')),
    'status' => (string) $statusId,
    'total' => (float) $subject->get('cost'),
    'weight' => (float) $subject->get('weight'),
    'comment' => $text($address, 'comment'),
);
if ($withCookies && !empty($_COOKIE)) {
    // UTM and analytics cookies only (amosync reads utm_*, _ga, _ym_uid, roistat_visit, TILDAUTM…).
    $pairs = array();
    foreach ($_COOKIE as $name => $value) {
        if (is_string($value) && preg_match('/^(utm_|_ga$|_ym_uid$|roistat_visit$|gclid$|yclid$|fbclid$)/', $name)) {
            $pairs[] = $name . '=' . $value;
        }
    }
    if ($pairs) {
        $body['cookies'] = implode('; ', $pairs);
    }
}
$body['customer'] = array_filter($body['customer'], 'strlen');
$body['address'] = array_filter($body['address'], 'strlen');

$url = rtrim((string) $modx->getOption('amosync_url', null, 'http://127.0.0.1:8080'), '/') . '/v1/orders';
$timeout = (float) $modx->getOption('amosync_timeout', null, 3);
$previous = ini_set('default_socket_timeout', (string) $timeout); // also bounds the connect
$context = stream_context_create(array('http' => array(
    'method' => 'POST',
    'header' => "Content-Type: application/json\r\nAuthorization: Bearer " . $modx->getOption('amosync_token') . "\r\n",
    'content' => json_encode($body, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES),
    'timeout' => $timeout,
    'ignore_errors' => true,
)));
$answer = @file_get_contents($url, false, $context);
ini_set('default_socket_timeout', $previous);
$code = isset($http_response_header[0]) && preg_match('#^HTTP/\S+ (\d{3})#', $http_response_header[0], $m) ? (int) $m[1] : 0;
if ($code < 200 || $code >= 300) {
    $error = error_get_last();
    $modx->log(modX::LOG_LEVEL_ERROR, sprintf(
        '[amosync] order %s (%s) was not accepted by %s: %s',
        $body['id'], $modx->event->name, $url,
        $code ? "HTTP $code " . substr((string) $answer, 0, 300) : ($error ? $error['message'] : 'no answer within ' . $timeout . ' s')
    ));
}
return;
