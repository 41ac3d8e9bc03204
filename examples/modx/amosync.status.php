<?php
/**
 * amosync → miniShop2: the receiving end of amosync's status write-back (`orders.status_back`).
 * Put it at assets/components/amosync/status.php, set `orders.status_back.url` to its address and
 * the system setting amosync_status_secret to `orders.status_back.secret`; the `map` of
 * `orders.status_back` names miniShop2 status ids ("2" paid, "3" sent, "4" cancelled …).
 *
 * amosync POSTs {"order_id", "status", "lead_id", "status_id", "pipeline_id", "changed_at"} with
 * X-Amosync-Signature: base64(HMAC-SHA256(secret, body)). The order (by its number, as
 * amosync.plugin.php sends it, or by its id) gets the status through miniShop2's own
 * changeOrderStatus, so that its events fire (msOnChangeOrderStatus, the customer's e-mails as
 * configured). amosync.plugin.php then reports the new status to amosync, which recognizes its
 * own write and does not move the lead again.
 *
 * Answers (JSON): 200 done, or the order already has the status; 401 a wrong signature; 400 a body
 * that is not amosync's; 404 no such order; 422 miniShop2 refused the status (amosync fails the
 * job with this message; 5xx and no answer are tried again).
 */
if (!isset($modx)) {
    // Called directly: start MODX the way its connectors do (MODX's index.php in API mode).
    define('MODX_API_MODE', true);
    require dirname(__DIR__, 3) . '/index.php';
}

/** @return array (HTTP status, answer) */
function amosyncStatusBack($modx, $body, $signature)
{
    $secret = (string) $modx->getOption('amosync_status_secret');
    $expected = base64_encode(hash_hmac('sha256', (string) $body, $secret, true));
    if ($secret === '' || !is_string($signature) || !hash_equals($expected, trim($signature))) {
        $modx->log(modX::LOG_LEVEL_ERROR, '[amosync] status write-back refused: the signature does not match amosync_status_secret');
        return array(401, array('error' => 'bad_signature', 'message' => 'X-Amosync-Signature does not match amosync_status_secret'));
    }
    $data = json_decode((string) $body, true);
    if (!is_array($data) || !isset($data['order_id'], $data['status']) || (int) $data['status'] <= 0) {
        return array(400, array('error' => 'bad_body', 'message' => 'expected {"order_id", "status": a miniShop2 status id, …}'));
    }
    $number = (string) $data['order_id'];
    $status = (int) $data['status'];
    $order = $modx->getObject('msOrder', array('num' => $number));
    if (!$order && ctype_digit($number)) {
        $order = $modx->getObject('msOrder', (int) $number);
    }
    if (!$order) {
        return array(404, array('error' => 'no_order', 'message' => "no miniShop2 order $number"));
    }
    if ((int) $order->get('status') === $status) {
        return array(200, array('ok' => true, 'unchanged' => true));
    }
    $miniShop2 = $modx->getService('miniShop2');
    // As miniShop2's payment handlers do: a status change from outside the manager runs in its context.
    $modx->context->key = 'mgr';
    $result = $miniShop2->changeOrderStatus($order->get('id'), $status);
    if ($result !== true) {
        $modx->log(modX::LOG_LEVEL_ERROR, "[amosync] miniShop2 refused status $status for order $number: $result");
        return array(422, array('error' => 'refused', 'message' => "miniShop2 refused status $status: $result"));
    }
    return array(200, array('ok' => true));
}

list($code, $answer) = amosyncStatusBack(
    $modx, file_get_contents('php://input'), isset($_SERVER['HTTP_X_AMOSYNC_SIGNATURE']) ? $_SERVER['HTTP_X_AMOSYNC_SIGNATURE'] : null
);
http_response_code($code);
header('Content-Type: application/json; charset=utf-8');
echo json_encode($answer, JSON_UNESCAPED_UNICODE);
