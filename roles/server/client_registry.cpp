#include "roles/server/client_registry.h"

namespace kvd::server {

std::string ClientState::name() const {
  std::lock_guard lock(mutex_);
  return name_;
}

void ClientState::set_name(std::string name) {
  std::lock_guard lock(mutex_);
  name_ = std::move(name);
}

std::string ClientState::last_command() const {
  std::lock_guard lock(mutex_);
  return last_command_;
}

void ClientState::set_last_command(std::string_view name) {
  std::lock_guard lock(mutex_);
  last_command_.assign(name);
}

bool ClientRegistry::Register(std::shared_ptr<ClientState> client, size_t max_clients) {
  std::lock_guard lock(mutex_);
  if (clients_.size() >= max_clients) return false;
  uint64_t id = client->id;
  clients_.emplace(id, std::move(client));
  return true;
}

void ClientRegistry::Unregister(uint64_t id) {
  std::lock_guard lock(mutex_);
  clients_.erase(id);
}

size_t ClientRegistry::Count() const {
  std::lock_guard lock(mutex_);
  return clients_.size();
}

std::vector<std::shared_ptr<ClientState>> ClientRegistry::List() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<ClientState>> list;
  list.reserve(clients_.size());
  for (const auto& [id, client] : clients_) list.push_back(client);
  return list;
}

void ClientRegistry::WakePostponed() const {
  for (const auto& client : List()) {
    if (client->postponed.load()) client->Wake(WakeReason::kPauseEnded);
  }
}

void ClientRegistry::CloseAll() {
  for (const auto& client : List()) client->RequestClose();
}

}  // namespace kvd::server
