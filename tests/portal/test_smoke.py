def test_home_page_shows_quick_links(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert b"/credit-exchange/apply/" in response.content
