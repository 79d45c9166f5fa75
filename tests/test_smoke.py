def test_home_page_renders(client):
    r = client.get("/")
    assert r.status_code == 200
